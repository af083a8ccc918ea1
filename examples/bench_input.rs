//! Write a benchmark ResourceList to stdout: `bench_input COUNT [CONFIG_FILE]`.
//!
//! COUNT realistic objects of about 1 KB each (see `benches/support/input.rs`), then the config file
//! (default: `benches/data/realistic.yaml`) as the function config. `scripts/bench` uses it so that the
//! whole-process figures are taken on the same bytes as the criterion benches.

#[path = "../benches/support/input.rs"]
mod input;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(count) = args.first().and_then(|c| c.parse::<usize>().ok()) else {
        eprintln!("usage: bench_input COUNT [CONFIG_FILE]");
        return ExitCode::from(2);
    };
    let config = match args.get(1) {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("bench_input: {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => input::REALISTIC_CONFIG.to_string(),
    };
    let list = input::resource_list(count, &config);
    match std::io::stdout().lock().write_all(list.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_input: cannot write stdout: {e}");
            ExitCode::from(1)
        }
    }
}
