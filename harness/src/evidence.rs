//! How much of what a server sent the harness keeps as evidence.
//!
//! A server may send messages of any size and any number; the report keeps what it
//! needs to show a verdict, within budgets. A value larger than [`LARGE_VALUE_BYTES`]
//! is kept as its first [`ELIDED_PREFIX_CHARS`] characters, its size and its SHA-256
//! (see [`elide`]), never whole. Each case's transcript draws on a budget of its own
//! ([`CASE_TRANSCRIPT_BYTES`]) and, with every other case of the run, on one pool
//! ([`RUN_EVIDENCE_BYTES`]); what does not fit is counted, not kept.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// A value larger than this (serialized) is kept elided.
pub const LARGE_VALUE_BYTES: usize = 16 * 1024;
/// Characters of an elided value's text kept as its prefix.
pub const ELIDED_PREFIX_CHARS: usize = 512;
/// Bytes of transcript one case keeps.
pub const CASE_TRANSCRIPT_BYTES: usize = 128 * 1024;
/// Bytes of finding evidence (sent, expected, actual) one case keeps in full.
pub const CASE_FINDING_BYTES: usize = 128 * 1024;
/// Bytes of transcripts and finding evidence the whole run keeps.
pub const RUN_EVIDENCE_BYTES: usize = 8 * 1024 * 1024;

/// The key of the object that stands for an elided value.
pub const ELIDED_KEY: &str = "$elided";

/// Counts bytes written to it.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The length of `value` as compact JSON text, without building the text.
pub fn json_size(value: &Value) -> usize {
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// What stands for a large value: `{"$elided": {"bytes", "sha256", "prefix"}}`, where
/// `bytes` and `sha256` are of its compact JSON text (a string's own text for a string).
pub fn elide(value: &Value) -> Value {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let prefix: String = text.chars().take(ELIDED_PREFIX_CHARS).collect();
    json!({ ELIDED_KEY: {
        "bytes": text.len(),
        "sha256": sha256_hex(text.as_bytes()),
        "prefix": prefix,
    }})
}

/// `value`, elided when larger than [`LARGE_VALUE_BYTES`].
pub fn bounded(value: Value) -> Value {
    if json_size(&value) > LARGE_VALUE_BYTES {
        elide(&value)
    } else {
        value
    }
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of evidence the whole run may still keep, shared by every case.
#[derive(Debug, Clone)]
pub struct Pool(Arc<AtomicUsize>);

impl Pool {
    pub fn new(bytes: usize) -> Pool {
        Pool(Arc::new(AtomicUsize::new(bytes)))
    }

    /// Takes `n` bytes if that many are left.
    fn take(&self, n: usize) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new(RUN_EVIDENCE_BYTES)
    }
}

/// One case's budget for one kind of evidence, drawing on the run's pool.
#[derive(Debug)]
pub struct Budget {
    left: usize,
    limit: usize,
    pool: Pool,
    /// Values not kept for want of budget, and their size.
    pub dropped: usize,
    pub dropped_bytes: usize,
}

impl Budget {
    pub fn new(limit: usize, pool: Pool) -> Budget {
        Budget {
            left: limit,
            limit,
            pool,
            dropped: 0,
            dropped_bytes: 0,
        }
    }

    /// `value` as kept (elided when large), or `None` when the budget is used up (the
    /// value is counted in `dropped`).
    pub fn keep(&mut self, value: Value) -> Option<Value> {
        let size = json_size(&value);
        self.keep_sized(value, size)
    }

    /// As [`Budget::keep`], for a value whose [`json_size`] the caller knows.
    pub fn keep_sized(&mut self, value: Value, size: usize) -> Option<Value> {
        self.admit(value, size).ok()
    }

    /// `value` as kept, or elided when the budget is used up (counted in `dropped`).
    pub fn keep_or_elide(&mut self, value: Value) -> Value {
        let size = json_size(&value);
        match self.admit(value, size) {
            Ok(kept) => kept,
            // A large value comes back elided already.
            Err(v) if size > LARGE_VALUE_BYTES => v,
            Err(v) => elide(&v),
        }
    }

    /// `Ok(kept)`, or `Err` with the same value (elided when large) when there is no
    /// room for it.
    fn admit(&mut self, value: Value, size: usize) -> Result<Value, Value> {
        let large = size > LARGE_VALUE_BYTES;
        let kept = if large { elide(&value) } else { value };
        let cost = if large { json_size(&kept) } else { size };
        if self.charge(cost, size) {
            Ok(kept)
        } else {
            Err(kept)
        }
    }

    /// Takes `cost` bytes of budget for a value of `size`; counts it when it cannot.
    fn charge(&mut self, cost: usize, size: usize) -> bool {
        if cost <= self.left && self.pool.take(cost) {
            self.left -= cost;
            true
        } else {
            self.dropped += 1;
            self.dropped_bytes += size;
            false
        }
    }

    /// What was not kept, as a sentence; `None` when everything was.
    pub fn shortfall(&self, what: &str) -> Option<String> {
        (self.dropped > 0).then(|| {
            format!(
                "{} further {what} ({} bytes) not kept: the case's budget of {} KiB (or the run's of {} MiB) was used up",
                self.dropped,
                self.dropped_bytes,
                self.limit / 1024,
                RUN_EVIDENCE_BYTES / (1024 * 1024)
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_value_keeps_its_prefix_size_and_hash() {
        let big = Value::String("x".repeat(LARGE_VALUE_BYTES * 2));
        let kept = bounded(big.clone());
        let e = &kept[ELIDED_KEY];
        assert_eq!(e["bytes"], json!(LARGE_VALUE_BYTES * 2));
        assert_eq!(
            e["prefix"].as_str().map(str::len),
            Some(ELIDED_PREFIX_CHARS)
        );
        assert_eq!(
            e["sha256"].as_str(),
            Some(sha256_hex("x".repeat(LARGE_VALUE_BYTES * 2).as_bytes()).as_str())
        );
        let small = json!({"a": 1});
        assert_eq!(bounded(small.clone()), small);
        // The hash of the empty string, as published for SHA-256.
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn a_budget_counts_what_it_cannot_keep_and_shares_the_pool() {
        let pool = Pool::new(100);
        let mut a = Budget::new(80, pool.clone());
        let mut b = Budget::new(80, pool);
        let ten = json!("12345678"); // 10 bytes as JSON
        for _ in 0..8 {
            assert!(a.keep(ten.clone()).is_some());
        }
        assert!(a.keep(ten.clone()).is_none(), "the case budget is spent");
        assert!(b.keep(ten.clone()).is_some());
        assert!(b.keep(ten.clone()).is_some());
        assert!(b.keep(ten.clone()).is_none(), "the run's pool is spent");
        assert_eq!((a.dropped, a.dropped_bytes), (1, 10));
        assert!(a
            .shortfall("entries")
            .is_some_and(|s| s.contains("1 further")));
        assert!(Budget::new(1, Pool::new(1)).shortfall("entries").is_none());
    }
}
