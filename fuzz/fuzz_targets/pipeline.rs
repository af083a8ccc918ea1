//! Fuzz target: the whole KRM function on arbitrary bytes; never a panic, output that reads back,
//! exit codes that match the results, and a fixed point on success. The properties are in
//! `tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::enforce(checks::pipeline(data)));
