//! The floor of the passthrough benchmark: read a ResourceList from stdin and write it back, and
//! nothing else.
//!
//! It does the work any reader and writer of a ResourceList must do, with the library and settings
//! mesh-ingress uses: stdin read the same way under the same input limit, every byte parsed into one
//! `serde_json::Value` by serde-saphyr with the function's parse options (budget, YAML 1.1 octals),
//! and every value serialized back by serde-saphyr with the function's serializer options, through the
//! same 64 KiB buffer. [`io::parse_documents`] and [`io::write_yaml`] are the crate's thin wrappers
//! that hold those options; using them keeps the floor's settings the function's by construction.
//!
//! What it leaves out is what the function adds: checking the list, decoding and rendering the
//! config, the merge, reusing item text, and the worker thread with a large stack. `scripts/bench`
//! compares the two as processes.
//!
//! `passthrough_floor --worker-thread` does the same work on the function's worker thread
//! ([`commands::on_large_stack`]), which shows what that thread costs by itself (BENCHMARKS.md).

use mesh_ingress::commands;
use mesh_ingress::krm::io::{self, Limits};
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let limits = Limits::from_env();
    let input = commands::read_limited(std::io::stdin(), "stdin", &limits).map_err(|e| e.to_string())?;
    let text = io::decode_text(&input, &limits).map_err(|e| e.to_string())?;
    let docs = io::parse_documents(text, "stdin", &limits).map_err(|e| e.to_string())?;
    let [list] = docs.as_slice() else {
        return Err(format!("expected one YAML document, found {}", docs.len()));
    };
    io::write_yaml(list, &mut std::io::stdout().lock()).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let outcome = match std::env::args().nth(1).as_deref() {
        None => run(),
        Some("--worker-thread") => {
            commands::on_large_stack(run).unwrap_or_else(|| Err("cannot start the worker thread".to_string()))
        }
        Some(other) => Err(format!("unknown argument {other:?}; usage: passthrough_floor [--worker-thread]")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("passthrough_floor: {message}");
            ExitCode::from(2)
        }
    }
}
