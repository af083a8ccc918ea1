//! In-process benchmark of rendering the realistic config (`benches/data/realistic.yaml`: two
//! gateways, three certificates and issuers, mTLS, routes and the demo app).
//!
//! - `render/process`: decode, validate, render and merge, from an already parsed config
//!   ([`pipeline::process`], what every entry point calls);
//! - `render/krm`: the KRM entry point the binary runs, bytes in and bytes out: parse the
//!   ResourceList, process, write the objects and the results.
//!
//! Run: `cargo bench --bench render`. The whole-process comparison with `kubectl kustomize` is
//! `scripts/bench` (BENCHMARKS.md).

// A benchmark whose setup fails has nothing to measure: stopping at once with the cause is right.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/input.rs"]
mod input;

use criterion::{Criterion, criterion_group, criterion_main};
use mesh_ingress::commands;
use mesh_ingress::krm::io::{self, Limits};
use mesh_ingress::pipeline::{self, Mode};
use std::hint::black_box;

fn render(c: &mut Criterion) {
    let limits = Limits::default();
    let config = io::parse_document(input::REALISTIC_CONFIG, "realistic.yaml", &limits).expect("config");
    let outcome = pipeline::process(Vec::new(), Some(&config), Mode::Stream);
    assert!(!outcome.failed(), "the realistic config must render: {:?}", outcome.results);

    let list = input::resource_list(0, input::REALISTIC_CONFIG);
    let mut group = c.benchmark_group("render");
    group.bench_function("process", |b| {
        b.iter(|| pipeline::process(Vec::new(), Some(black_box(&config)), Mode::Stream))
    });
    group.bench_function("krm", |b| {
        let mut stdout = Vec::with_capacity(64 * 1024);
        b.iter(|| {
            stdout.clear();
            let code = commands::krm(black_box(list.as_bytes()), &limits, &mut stdout, &mut std::io::sink());
            assert_eq!(code.ok(), Some(commands::EXIT_OK));
        })
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
