//! JSON value comparison as JSON Schema means it: equality with numbers compared by
//! value (`1 == 1.0`), and decimal-exact `multipleOf`.

use serde_json::{Number, Value};

/// JSON equality with numeric comparison (`1 == 1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &Number, y: &Number) -> bool {
    if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
        return p == q;
    }
    if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
        return p == q;
    }
    x.as_f64() == y.as_f64()
}

/// Shortest decimal digits of `v` as (mantissa, decimals), e.g. 0.25 → (25, 2).
pub(crate) fn decimal_parts(v: f64) -> Option<(i128, u32)> {
    if !v.is_finite() {
        return None;
    }
    let text = format!("{v}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let digits = format!("{int}{frac}");
    let mantissa: i128 = digits.parse().ok()?;
    Some((mantissa, u32::try_from(frac.len()).ok()?))
}

/// Decimal-exact `value / multiple` is an integer (as jsonschema does it).
pub(crate) fn is_multiple_of(value: f64, multiple: f64) -> bool {
    if value == 0.0 {
        return true;
    }
    if multiple <= 0.0 || value.abs() < multiple {
        return false;
    }
    let (Some((vm, vd)), Some((mm, md))) = (decimal_parts(value), decimal_parts(multiple)) else {
        return false;
    };
    let shared = vd.min(md);
    let scale = |m: i128, d: u32| {
        10i128
            .checked_pow(d - shared)
            .and_then(|p| m.checked_mul(p))
    };
    match (scale(vm, md), scale(mm, vd)) {
        (Some(a), Some(b)) if b != 0 => a % b == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_compare_by_value_and_multiples_are_decimal_exact() {
        assert!(json_eq(&json!({"a": [1, 2.0]}), &json!({"a": [1.0, 2]})));
        assert!(!json_eq(&json!([1]), &json!([1, 1])));
        assert!(!json_eq(&json!("1"), &json!(1)));
        assert_eq!(decimal_parts(0.25), Some((25, 2)));
        assert!(is_multiple_of(0.3, 0.1));
        assert!(is_multiple_of(0.0, 7.0));
        assert!(!is_multiple_of(0.35, 0.1));
        assert!(!is_multiple_of(f64::NAN, 0.1));
    }
}
