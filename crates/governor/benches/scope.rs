//! Layer 1 benchmarks: loading the built-in governor (policy, catalogs, profiles, classifier),
//! classifying one request, and scoping one request over every tool the built-in catalogs know.
//!
//! Run: `cargo bench -p aethelgard-governor --bench scope`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use aethelgard_governor::Governor;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const REQUESTS: [&str; 4] = [
    "Summarise the design doc in docs/architecture.md for the team",
    "The nightly build fails with a linker error on arm64, can you fix it?",
    "Deploy the staging branch to the staging cluster and tell me when it is healthy",
    "Email Dana the meeting notes from this morning",
];

fn bench(c: &mut Criterion) {
    c.bench_function("governor/load_builtin", |b| b.iter(|| black_box(Governor::builtin().unwrap())));
    let governor = Governor::builtin().unwrap();
    c.bench_function("governor/classify", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % REQUESTS.len();
            black_box(governor.classify(Some(REQUESTS[i]), None).unwrap())
        })
    });
    c.bench_function("governor/manifest_all_catalogs", |b| b.iter(|| black_box(governor.manifest("implement", None))));
    c.bench_function("governor/scope_request_all_catalogs", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % REQUESTS.len();
            black_box(governor.scope(Some(REQUESTS[i]), None, None).unwrap())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
