//! In-process benchmark of passing N items (about 1 KB each, `benches/support/input.rs`) through the
//! function, against the floor: serde-saphyr reading the same ResourceList into a value and writing it
//! back with the function's options (what `examples/passthrough_floor.rs` does as a process).
//!
//! - `passthrough/function/N`: [`commands::krm`], the entry point the binary runs, with the realistic
//!   config as the function config (so the generated objects are appended to the N items);
//! - `passthrough/floor/N`: parse and serialize only.
//!
//! Run: `cargo bench --bench passthrough`; `BENCH_ITEMS=1000,10000,100000` changes the sizes
//! (default 1000 and 10000: a 100,000-item iteration takes seconds, so that size is measured as a
//! process by `scripts/bench`).

// A benchmark whose setup fails has nothing to measure: stopping at once with the cause is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/input.rs"]
mod input;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use mesh_ingress::commands;
use mesh_ingress::krm::io::{self, Limits};
use std::hint::black_box;
use std::time::Duration;

fn sizes() -> Vec<usize> {
    std::env::var("BENCH_ITEMS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000])
}

fn function(input: &[u8], limits: &Limits, out: &mut Vec<u8>) {
    out.clear();
    let code = commands::krm(input, limits, out, &mut std::io::sink());
    assert_eq!(code.ok(), Some(commands::EXIT_OK));
}

fn floor(input: &[u8], limits: &Limits, out: &mut Vec<u8>) {
    out.clear();
    let text = io::decode_text(input, limits).expect("utf-8");
    let docs = io::parse_documents(text, "stdin", limits).expect("yaml");
    io::write_yaml(&docs[0], out).expect("write");
}

fn passthrough(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("passthrough");
    // One iteration at 10,000 items takes most of a second: few, flat samples keep the run short.
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(1));
    for count in sizes() {
        let list = input::resource_list(count, input::REALISTIC_CONFIG);
        // Before timing: the function must give the items back as they came.
        let mut out = Vec::new();
        function(list.as_bytes(), &limits, &mut out);
        let head = &list[..list.find("functionConfig:").expect("functionConfig")];
        assert!(out.starts_with(head.as_bytes()), "the items did not pass through verbatim");

        group.throughput(Throughput::Bytes(list.len() as u64));
        group.measurement_time(Duration::from_millis(200).max(Duration::from_micros(count as u64 * 1000)));
        group.bench_with_input(BenchmarkId::new("function", count), &list, |b, list| {
            b.iter(|| function(black_box(list.as_bytes()), &limits, &mut out))
        });
        group.bench_with_input(BenchmarkId::new("floor", count), &list, |b, list| {
            b.iter(|| floor(black_box(list.as_bytes()), &limits, &mut out))
        });
    }
    group.finish();
}

criterion_group!(benches, passthrough);
criterion_main!(benches);
