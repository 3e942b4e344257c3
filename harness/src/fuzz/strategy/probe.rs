//! Whether filtering a strategy will starve: a fixed-seed sample must hit often enough.

use std::fmt::Debug;

use proptest::strategy::{SBoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const PROBE_TRIES: usize = 128;
const PROBE_HITS: usize = 8;

/// True when at least [`PROBE_HITS`] of up to [`PROBE_TRIES`] values drawn
/// from `s` (fixed seed) satisfy `ok`: filtering will not starve.
pub(crate) fn probe<T: Debug>(s: &SBoxedStrategy<T>, ok: &impl Fn(&T) -> bool) -> bool {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let mut hits = 0;
    for _ in 0..PROBE_TRIES {
        let Ok(tree) = s.new_tree(&mut runner) else {
            return false;
        };
        if ok(&tree.current()) {
            hits += 1;
            if hits >= PROBE_HITS {
                return true;
            }
        }
    }
    false
}
