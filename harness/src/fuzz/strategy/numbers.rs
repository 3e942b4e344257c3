//! Integers and non-integral numbers within bounds and `multipleOf`.

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{Number, Value};

use super::probe::probe;
use super::schema::{Bound, Norm};
use crate::json_schema::value::{decimal_parts, is_multiple_of};

/// Largest integer generated in the valid family (2^53 - 1): values stay
/// exact in every JSON implementation. Larger ones are stressors.
pub(crate) const MAX_SAFE: i64 = 9_007_199_254_740_991;
/// Half-width of the default window for unbounded non-integral numbers.
const FLOAT_WINDOW: f64 = 1.0e6;

/// Integers in `lo..=hi`, as a union of widening windows around the value
/// closest to zero, so shrinking converges on the exact boundary.
pub(crate) fn anchored(lo: i64, hi: i64) -> SBoxedStrategy<i64> {
    let anchor = 0i64.clamp(lo, hi);
    let mut alts: Vec<(u32, SBoxedStrategy<i64>)> = Vec::new();
    let mut last = None;
    for (weight, w) in [(4, 100i64), (3, 10_000), (2, 1_000_000_000), (1, i64::MAX)] {
        let a = lo.max(anchor.saturating_sub(w));
        let b = hi.min(anchor.saturating_add(w));
        if last != Some((a, b)) {
            alts.push((weight, (a..=b).sboxed()));
            last = Some((a, b));
        }
    }
    Union::new_weighted(alts).sboxed()
}

/// The smallest integer allowed by `b` (`None`: beyond the safe range).
pub(crate) fn int_lower(b: Option<Bound>) -> Option<i64> {
    let Some(b) = b else { return Some(-MAX_SAFE) };
    let c = if b.exclusive {
        b.value.floor() + 1.0
    } else {
        b.value.ceil()
    };
    (c <= MAX_SAFE as f64).then(|| c.max(-MAX_SAFE as f64) as i64)
}

/// The largest integer allowed by `b` (`None`: beyond the safe range).
pub(crate) fn int_upper(b: Option<Bound>) -> Option<i64> {
    let Some(b) = b else { return Some(MAX_SAFE) };
    let c = if b.exclusive {
        b.value.ceil() - 1.0
    } else {
        b.value.floor()
    };
    (c >= -MAX_SAFE as f64).then(|| c.min(MAX_SAFE as f64) as i64)
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// Integral `multipleOf` values (as i64) and the others.
pub(crate) fn split_multiples(norm: &Norm) -> (Vec<i64>, Vec<f64>) {
    let mut ints = Vec::new();
    let mut fracs = Vec::new();
    for m in &norm.multiple_of {
        if m.fract() == 0.0 && *m <= MAX_SAFE as f64 {
            ints.push(*m as i64);
        } else {
            fracs.push(*m);
        }
    }
    (ints, fracs)
}

pub(crate) fn integers(norm: &Norm) -> Result<SBoxedStrategy<Value>, String> {
    let (Some(lo), Some(hi)) = (int_lower(norm.lower), int_upper(norm.upper)) else {
        return Err("integer bounds lie beyond 2^53".into());
    };
    if lo > hi {
        return Err(format!(
            "no integer within {:?}..{:?}",
            norm.lower, norm.upper
        ));
    }
    let (ints, fracs) = split_multiples(norm);
    let mut step = 1i64;
    for m in ints {
        step = (step / gcd(step, m))
            .checked_mul(m)
            .filter(|s| *s <= MAX_SAFE)
            .ok_or("multipleOf values have no common multiple below 2^53")?;
    }
    let (klo, khi) = (
        lo.div_euclid(step) + i64::from(lo.rem_euclid(step) != 0),
        hi.div_euclid(step),
    );
    if klo > khi {
        return Err(format!("no multiple of {step} within {lo}..={hi}"));
    }
    let base = anchored(klo, khi).prop_map(move |k| k * step).sboxed();
    if fracs.is_empty() {
        return Ok(base.prop_map(Value::from).sboxed());
    }
    let ok = move |v: &i64| fracs.iter().all(|m| is_multiple_of(*v as f64, *m));
    if !probe(&base, &ok) {
        return Err("could not generate integers for a fractional multipleOf".into());
    }
    Ok(base
        .prop_filter("multipleOf", ok)
        .prop_map(Value::from)
        .sboxed())
}

/// `mantissa * 10^-decimals` as the nearest f64 (whose shortest decimal form
/// is exactly that decimal when it has at most 15 digits).
fn decimal(mantissa: i128, decimals: u32) -> f64 {
    format!("{mantissa}e-{decimals}")
        .parse()
        .unwrap_or(f64::NAN)
}

/// Non-integral numbers in bounds (integers come from [`integers`]).
pub(crate) fn fractions(norm: &Norm) -> Result<SBoxedStrategy<Value>, String> {
    let lo = norm
        .lower
        .map(|b| b.value)
        .unwrap_or_else(|| norm.upper.map_or(0.0, |b| b.value.min(0.0)) - FLOAT_WINDOW);
    let hi = norm
        .upper
        .map(|b| b.value)
        .unwrap_or_else(|| lo.max(0.0) + FLOAT_WINDOW);
    if lo > hi {
        return Err(format!(
            "no number within {:?}..{:?}",
            norm.lower, norm.upper
        ));
    }
    let base: SBoxedStrategy<f64> = match norm.multiple_of.first() {
        Some(&m) => {
            let (mm, md) = decimal_parts(m).ok_or("multipleOf is not a plain decimal")?;
            let limit = 1.0e12;
            let klo = (lo / m).ceil().clamp(-limit, limit) as i64;
            let khi = (hi / m).floor().clamp(-limit, limit) as i64;
            if klo > khi {
                return Err(format!("no multiple of {m} within {lo}..={hi}"));
            }
            anchored(klo, khi)
                .prop_map(move |k| {
                    i128::from(k)
                        .checked_mul(mm)
                        .map_or(f64::NAN, |x| decimal(x, md))
                })
                .sboxed()
        }
        None if lo == hi => Just(lo).sboxed(),
        None => {
            let anchor = 0f64.clamp(lo, hi);
            prop_oneof![
                (lo.max(anchor - 10.0)..=hi.min(anchor + 10.0)),
                (lo.max(anchor - 1000.0)..=hi.min(anchor + 1000.0)),
                (lo..=hi),
            ]
            .sboxed()
        }
    };
    let (lower, upper) = (norm.lower, norm.upper);
    let multiples = norm.multiple_of.clone();
    let ok = move |x: &f64| {
        let x = *x;
        x.is_finite()
            && x.fract() != 0.0
            && lower.is_none_or(|b| x > b.value || (!b.exclusive && x == b.value))
            && upper.is_none_or(|b| x < b.value || (!b.exclusive && x == b.value))
            && multiples.iter().all(|m| is_multiple_of(x, *m))
    };
    if !probe(&base, &ok) {
        return Err("could not generate non-integral numbers within the bounds".into());
    }
    Ok(base
        .prop_filter_map("non-integral number in bounds", move |x| {
            if ok(&x) {
                Number::from_f64(x).map(Value::Number)
            } else {
                None
            }
        })
        .sboxed())
}
