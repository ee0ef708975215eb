use wasmer_plugin::wasmer_plugin;

pub struct Opaque;

#[wasmer_plugin]
pub fn take(_x: Opaque) -> u32 {
    1
}

fn main() {}
