//! Measures what docs/SECURITY.md states about time and loading:
//! - `fuel`: how long a fuel budget lasts, for a plain loop and for bulk
//!   memory instructions (time per unit of fuel);
//! - `load SHAPE MIB`: the time and peak memory of loading a module of a
//!   costly shape (`nested` or `flat` blocks, tiny `functions`,
//!   `straight`-line code, functions of many `locals`, `calls` one after
//!   another, one huge `br_table`), one shape per process so that peak
//!   memory is its own; `load file PATH` does the same for a real plugin;
//!   `load-unbounded` loads without the code-shape limits
//!   (`max_functions`, `max_function_bytes`, `max_control_blocks`,
//!   `max_calls`); shape `defaults` is the costliest module measured
//!   within the defaults of all of them and of `max_module_bytes`.
//!
//! `cargo run -p wasmer-plugin-benches --release --example security_probe -- fuel`
//! `cargo run -p wasmer-plugin-benches --release --example security_probe -- load nested 8`

use std::time::Instant;

use wasmer_plugin_benches::wasm_bytes::{custom_section, leb, metadata, section};
use wasmer_plugin_host::{Bincode, Error, Host, HostBuilder};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["fuel"] => fuel(),
        ["load", shape, size] => load(shape, size, Host::<Bincode>::builder()),
        // Without the code-shape limits: what compiling the shape costs.
        ["load-unbounded", shape, size] => load(
            shape,
            size,
            Host::<Bincode>::builder()
                .max_functions(u32::MAX)
                .max_function_bytes(u32::MAX)
                .max_control_blocks(u64::MAX)
                .max_calls(u64::MAX),
        ),
        _ => eprintln!(
            "usage: security_probe fuel | load nested|flat|functions|straight|locals|calls|br_table|defaults MIB | load file PATH | load-unbounded SHAPE MIB"
        ),
    }
}

fn fuel() {
    let wat = r#"(module
        (memory (export "memory") 4096)
        (global (export "__wasmer_plugin_slot") i32 (i32.const 16))
        (func (export "__wasmer_plugin_alloc") (param i32) (result i32) (i32.const 1024))
        (func (export "__wasmer_plugin_free") (param i32 i32))
        (func (export "__wasmer_plugin_fn_spin") (param i32 i32) (result i32)
          (loop $l (br $l)) (i32.const 0))
        (func (export "__wasmer_plugin_fn_fill") (param i32 i32) (result i32)
          (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 33554432)) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_copy") (param i32 i32) (result i32)
          (loop $l (memory.copy (i32.const 0) (i32.const 16777216) (i32.const 16777216)) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_fill_empty") (param i32 i32) (result i32)
          (loop $l (memory.fill (i32.const 0) (i32.const 1) (i32.const 0)) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_grow_none") (param i32 i32) (result i32)
          (loop $l (drop (memory.grow (i32.const 0))) (br $l))
          (i32.const 0))
        (table $t 1 1000 funcref)
        (func (export "__wasmer_plugin_fn_table_grow_none") (param i32 i32) (result i32)
          (loop $l (drop (table.grow $t (ref.null func) (i32.const 0))) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_table_fill_one") (param i32 i32) (result i32)
          (loop $l (table.fill $t (i32.const 0) (ref.null func) (i32.const 1)) (br $l))
          (i32.const 0))
        (func $target)
        (elem declare func $target)
        (data $d "x")
        (elem $e funcref (ref.null func))
        (func (export "__wasmer_plugin_fn_table_get") (param i32 i32) (result i32)
          (loop $l (drop (table.get $t (i32.const 0))) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_table_set") (param i32 i32) (result i32)
          (loop $l (table.set $t (i32.const 0) (ref.func $target)) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_drops") (param i32 i32) (result i32)
          (loop $l (data.drop $d) (elem.drop $e) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_size") (param i32 i32) (result i32)
          (loop $l (drop (memory.size)) (drop (table.size $t)) (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_divide") (param i32 i32) (result i32)
          (local $x i64)
          (local.set $x (i64.const -1))
          (loop $l
            (local.set $x (i64.div_u (local.get $x) (i64.const 3)))
            (local.set $x (i64.or (local.get $x) (i64.const 0x7000000000000000)))
            (br $l))
          (i32.const 0))
        (func (export "__wasmer_plugin_fn_random_stores") (param i32 i32) (result i32)
          (local $at i32)
          (loop $l
            ;; An LCG over the memory's 256 MiB, 8-byte aligned: most stores
            ;; miss the caches (the warm-up call makes the pages resident).
            (local.set $at (i32.add (i32.mul (local.get $at) (i32.const 1103515245)) (i32.const 12345)))
            (i64.store (i32.and (local.get $at) (i32.const 0xffffff8)) (i64.const 1))
            (br $l))
          (i32.const 0)))"#;
    let mut wasm = wasmer::wat2wasm(wat.as_bytes()).unwrap().into_owned();
    const FUNCTIONS: [&str; 13] = [
        "spin",
        "fill",
        "copy",
        "fill_empty",
        "grow_none",
        "table_grow_none",
        "table_fill_one",
        "table_get",
        "table_set",
        "drops",
        "size",
        "divide",
        "random_stores",
    ];
    custom_section(&mut wasm, "wasmer-plugin", &metadata(&FUNCTIONS));
    const BUDGET: u64 = 2_000_000_000;
    let mut host = Host::<Bincode>::builder()
        .fuel_per_call(BUDGET)
        .build(&wasm)
        .unwrap();
    for function in FUNCTIONS {
        // Once to warm the memory's pages, then measured.
        let _ = host.call::<_, ()>(function, &());
        let start = Instant::now();
        let err = host.call::<_, ()>(function, &()).unwrap_err();
        let elapsed = start.elapsed();
        assert!(matches!(err, Error::OutOfFuel { .. }), "{err:?}");
        println!(
            "{function}: {BUDGET} units in {:.2} s, {:.3} ns per unit",
            elapsed.as_secs_f64(),
            elapsed.as_nanos() as f64 / BUDGET as f64
        );
    }
}

/// A module of about `mib` MiB of the given shape, with a plugin's
/// metadata but no plugin exports: the host compiles it, then refuses it.
fn costly_module(shape: &str, mib: usize) -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    section(&mut wasm, 1, &[1, 0x60, 0, 0]); // type 0: [] -> []
    let target = mib << 20;
    let (functions, body): (u32, Vec<u8>) = match shape {
        // Functions of `block` nested as deep as wasm's largest function
        // body (7,654,321 bytes) allows, as many as the size holds.
        "nested" => {
            const BODY: usize = 7 << 20;
            let depth = target.min(BODY) / 3;
            let mut body = vec![0]; // no locals
            body.extend(std::iter::repeat_n([0x02, 0x40], depth).flatten());
            body.extend(std::iter::repeat_n(0x0b, depth + 1));
            ((target / BODY).max(1) as u32, body)
        }
        // The same blocks one after another instead of nested.
        "flat" => {
            const BODY: usize = 7 << 20;
            let count = target.min(BODY) / 3;
            let mut body = vec![0];
            body.extend(std::iter::repeat_n([0x02, 0x40, 0x0b], count).flatten());
            body.push(0x0b);
            ((target / BODY).max(1) as u32, body)
        }
        // Many functions whose body is `end`.
        "functions" => ((target / 4) as u32, vec![0, 0x0b]),
        // Straight-line code without blocks: `i32.const 0; drop`.
        "straight" => {
            const BODY: usize = 7 << 20;
            let count = target.min(BODY) / 3;
            let mut body = vec![0];
            body.extend(std::iter::repeat_n([0x41, 0x00, 0x1a], count).flatten());
            body.push(0x0b);
            ((target / BODY).max(1) as u32, body)
        }
        // Functions of 50,000 locals (wasmparser's most), each read once.
        "locals" => {
            const LOCALS: u32 = 50_000;
            let mut body = vec![1];
            leb(&mut body, LOCALS);
            body.push(0x7f); // i32
            for local in 0..LOCALS {
                body.push(0x20); // local.get
                leb(&mut body, local);
                body.push(0x1a); // drop
            }
            body.push(0x0b);
            ((target / body.len()).max(1) as u32, body)
        }
        // Calls one after another: `call 0`, the function itself.
        "calls" => {
            const BODY: usize = 7 << 20;
            let count = target.min(BODY) / 2;
            let mut body = vec![0];
            body.extend(std::iter::repeat_n([0x10, 0x00], count).flatten());
            body.push(0x0b);
            ((target / BODY).max(1) as u32, body)
        }
        // Every code-shape limit at its default: as many functions as
        // allowed, the allowed blocks and calls shared among them, and
        // straight-line code up to the size asked for.
        "defaults" => {
            use wasmer_plugin_host::{
                DEFAULT_MAX_CALLS, DEFAULT_MAX_CONTROL_BLOCKS, DEFAULT_MAX_FUNCTIONS,
            };
            let functions = DEFAULT_MAX_FUNCTIONS;
            let blocks = (DEFAULT_MAX_CONTROL_BLOCKS / u64::from(functions)) as usize;
            let calls = (DEFAULT_MAX_CALLS / u64::from(functions)) as usize;
            let fixed = 4 + 3 * blocks + 2 * calls;
            let straight = (target / functions as usize).saturating_sub(fixed) / 3;
            let mut body = vec![0];
            body.extend(std::iter::repeat_n([0x02, 0x40, 0x0b], blocks).flatten());
            body.extend(std::iter::repeat_n([0x10, 0x00], calls).flatten());
            body.extend(std::iter::repeat_n([0x41, 0x00, 0x1a], straight).flatten());
            body.push(0x0b);
            (functions, body)
        }
        // One `br_table` with as many targets as the size holds.
        "br_table" => {
            const BODY: usize = 7 << 20;
            let targets = (target.min(BODY) - 16) as u32;
            let mut body = vec![0, 0x02, 0x40, 0x41, 0x00, 0x0e];
            leb(&mut body, targets);
            body.extend(std::iter::repeat_n(0, targets as usize + 1));
            body.extend([0x0b, 0x0b]);
            ((target / BODY).max(1) as u32, body)
        }
        _ => panic!("unknown shape {shape}"),
    };
    let mut function_section = Vec::new();
    leb(&mut function_section, functions);
    function_section.extend(std::iter::repeat_n(0, functions as usize));
    section(&mut wasm, 3, &function_section);
    let mut code = Vec::new();
    leb(&mut code, functions);
    for _ in 0..functions {
        leb(&mut code, body.len() as u32);
        code.extend_from_slice(&body);
    }
    section(&mut wasm, 10, &code);
    custom_section(&mut wasm, "wasmer-plugin", &metadata(&["f"]));
    wasm
}

fn load(shape: &str, mib: &str, builder: HostBuilder) {
    let wasm = match shape {
        // A real plugin, for comparison: `load file PATH`.
        "file" => std::fs::read(mib).expect("a plugin file"),
        _ => costly_module(shape, mib.parse().expect("a size in MiB")),
    };
    let start = Instant::now();
    let result = builder.build(&wasm);
    let elapsed = start.elapsed();
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "{shape}, {} bytes ({}): {:.2} s, peak resident {peak}, {}",
        wasm.len(),
        code_stats(&wasm),
        elapsed.as_secs_f64(),
        match result {
            Ok(_) => "loaded".to_owned(),
            Err(err) => format!("refused: {err}"),
        }
    );
}

/// What the code-shape limits count in `wasm`: its functions, its largest
/// body, its control-flow blocks and its calls.
fn code_stats(wasm: &[u8]) -> String {
    use wasmer::wasmparser::{Operator, Parser, Payload};
    let (mut functions, mut largest, mut blocks, mut calls) = (0u32, 0u64, 0u64, 0u64);
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.expect("a module") {
            Payload::FunctionSection(reader) => functions = reader.count(),
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                largest = largest.max(range.end - range.start);
                let mut operators = body.get_operators_reader().expect("a body");
                while !operators.eof() {
                    match operators.read().expect("an operator") {
                        Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                            blocks += 1
                        }
                        Operator::Call { .. } | Operator::CallIndirect { .. } => calls += 1,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    format!(
        "{functions} functions, largest body {largest} bytes, {blocks} control-flow blocks, {calls} calls"
    )
}
