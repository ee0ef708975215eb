//! Times one 64 KiB `memory.copy` inside wasm, and the same copy natively,
//! for a few source and destination addresses. On x86 CPUs where glibc
//! copies with `rep movsb`, a destination a few bytes above the source
//! modulo 4 KiB can be ten times slower; docs/BENCHMARKS.md cites this to
//! explain the 64 KiB blob round trip.
//!
//! `cargo run -p wasmer-plugin-benches --release --example memcopy_probe`

use std::time::Instant;

use wasmer::{Engine, Instance, Module, Store, TypedFunction, imports};

const LEN: u32 = 64 * 1024;

fn main() {
    let wat = r#"(module (memory (export "memory") 16)
      (func (export "copy") (param i32 i32 i32)
        (memory.copy (local.get 0) (local.get 1) (local.get 2))))"#;
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("the probe compiles");
    let mut store = Store::new(engine);
    let instance = Instance::new(&mut store, &module, &imports! {}).expect("instantiates");
    let copy: TypedFunction<(u32, u32, u32), ()> = instance
        .exports
        .get_typed_function(&store, "copy")
        .expect("exports copy");

    let pairs = [
        (0x1_0000, 0x3_0000),
        (0x1_0000, 0x3_0005),
        (0x1_0005, 0x3_0000),
        (0x1_0010, 0x3_0003),
    ];
    for (dst, src) in pairs {
        for _ in 0..1000 {
            copy.call(&mut store, dst, src, LEN).unwrap();
        }
        let start = Instant::now();
        for _ in 0..10_000 {
            copy.call(&mut store, dst, src, LEN).unwrap();
        }
        let each = start.elapsed() / 10_000;
        println!("wasm   memory.copy to {dst:#07x} from {src:#07x}: {each:?}");
    }
    let mut memory = vec![1u8; 1 << 20];
    for (dst, src) in pairs {
        let (dst, src) = (dst as usize, src as usize);
        let start = Instant::now();
        for _ in 0..10_000 {
            memory.copy_within(src..src + LEN as usize, dst);
            std::hint::black_box(&memory);
        }
        let each = start.elapsed() / 10_000;
        println!("native copy_within to {dst:#07x} from {src:#07x}: {each:?}");
    }
}
