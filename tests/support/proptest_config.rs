//! The proptest settings of the property tests: a fixed number of cases from a fixed seed and no
//! failure persistence, so CI is reproducible; `PROPTEST_CASES` and `PROPTEST_RNG_SEED` override both
//! for deeper local runs.
#![allow(dead_code)]

use proptest::test_runner::{Config as ProptestConfig, RngSeed};

/// The seed used unless `PROPTEST_RNG_SEED` is set ("mesh-ing").
pub const SEED: u64 = 0x6d65_7368_2d69_6e67;

/// `cases` cases from [`SEED`], unless the environment says otherwise.
pub fn proptest_config(cases: u32) -> ProptestConfig {
    let base = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() { base.cases } else { cases },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            base.rng_seed
        } else {
            RngSeed::Fixed(SEED)
        },
        failure_persistence: None,
        max_shrink_time: 60_000,
        ..base
    }
}
