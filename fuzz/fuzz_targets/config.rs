//! Fuzz target: config decoding and the semantic rules on any YAML or JSON document; never a
//! panic, every failure an error result with a message. The properties are in
//! `tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::enforce(checks::config(data)));
