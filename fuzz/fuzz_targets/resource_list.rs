//! Fuzz target: the ResourceList reader (parse, verbatim item cut) and writer; written output must
//! read back to the same items. The properties are in `tests/support/fuzz_checks.rs`.
#![no_main]

#[path = "../../tests/support/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::enforce(checks::resource_list(data)));
