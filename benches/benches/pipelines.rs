//! A three-stage pipeline against the three typed calls it replaces, per
//! catalog payload (`pipeline/{payload}`): every stage is the framework
//! plugin's `catalog_bincode` (decode, shift every performance's start,
//! encode).
//!
//! - `chained`: three `Host::call_function` calls, the host decoding each
//!   answer into a `Catalog` and encoding it again for the next call;
//! - `pipeline`: `PipelineHost::run`, which encodes the input once, hands
//!   each stage's output to the next as bytes, and decodes once;
//! - `pipeline_pool`: `PipelinePool::run` on one thread (the pool's
//!   thread-local instances).

use std::hint::black_box;

use wasmer_plugin_bench_payloads::{Catalog, Work};
use wasmer_plugin_benches::{Payloads, bench_plugins, criterion};
use wasmer_plugin_host::{Bincode, Host, Pipeline, PipelineHost, PipelinePool, Plugin};

const FUNCTION: &str = "catalog_bincode";

fn main() {
    let mut c = criterion().configure_from_args();
    let plugin = Plugin::new(bench_plugins().framework).expect("the framework plugin loads");
    let payloads = Payloads::load();
    let mut host = Host::<Bincode>::from_plugin(&plugin).unwrap();
    let function = host.function::<Catalog, Catalog>(FUNCTION).unwrap();
    let pipeline = Pipeline::<Catalog, Catalog>::builder()
        .stage(&plugin, FUNCTION)
        .stage(&plugin, FUNCTION)
        .stage(&plugin, FUNCTION)
        .build()
        .unwrap();
    let mut pipeline_host = PipelineHost::new(&pipeline).unwrap();
    let pool = PipelinePool::new(&pipeline);

    for (name, catalog) in &payloads.catalog {
        let expected = catalog.clone().work().work().work();
        let mut chained = |catalog: &Catalog| {
            let one = host.call_function(&function, catalog).unwrap();
            let two = host.call_function(&function, &one).unwrap();
            host.call_function(&function, &two).unwrap()
        };
        // All three compute the same thing, or the comparison means nothing.
        assert!(chained(catalog) == expected, "chained calls differ");
        assert!(
            pipeline_host.run(catalog).unwrap() == expected,
            "pipeline differs"
        );
        assert!(
            pool.run(catalog).unwrap() == expected,
            "pipeline pool differs"
        );

        let mut group = c.benchmark_group(format!("pipeline/{name}"));
        group.bench_function("chained", |b| b.iter(|| chained(black_box(catalog))));
        group.bench_function("pipeline", |b| {
            b.iter(|| pipeline_host.run(black_box(catalog)).unwrap())
        });
        group.bench_function("pipeline_pool", |b| {
            b.iter(|| pool.run(black_box(catalog)).unwrap())
        });
        group.finish();
    }
    c.final_summary();
}
