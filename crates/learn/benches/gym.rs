//! Scenario gym benchmarks: loading the built-in data, generating 10,000 scenarios, and running
//! them under every tool with no guard and with the built-in router.
//!
//! Run: `cargo bench -p aethelgard-learn --bench gym`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use aethelgard_learn::gym::{AllowAll, Gym, GymConfig, RouterGuard};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    c.bench_function("gym/load_builtin", |b| {
        b.iter(|| black_box(Gym::builtin().unwrap()))
    });
    let gym = Gym::builtin().unwrap();
    let cfg = GymConfig {
        seed: 1,
        sessions: 10_000,
        ..GymConfig::default()
    };
    let mut group = c.benchmark_group("gym");
    group.sample_size(10);
    group.bench_function("generate_10k", |b| {
        b.iter(|| black_box(gym.scenarios(&cfg).unwrap()))
    });
    let scenarios = gym.scenarios(&cfg).unwrap();
    group.bench_function("run_10k_all_tools_allow_all", |b| {
        b.iter(|| {
            for scenario in &scenarios {
                black_box(gym.run(
                    scenario,
                    &scenario.all_tools_grant(),
                    &mut AllowAll,
                    &mut scenario.rng(),
                ));
            }
        })
    });
    let mut guard = RouterGuard::builtin(&gym).unwrap();
    group.bench_function("run_1k_all_tools_router", |b| {
        b.iter(|| {
            for scenario in scenarios.iter().take(1000) {
                black_box(gym.run(
                    scenario,
                    &scenario.all_tools_grant(),
                    &mut guard,
                    &mut scenario.rng(),
                ));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
