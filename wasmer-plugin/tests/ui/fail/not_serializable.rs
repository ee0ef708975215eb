use wasmer_plugin::wasmer_plugin;

pub struct Opaque;

#[wasmer_plugin]
pub fn take(_x: Opaque) -> u32 {
    1
}

#[wasmer_plugin]
pub fn take_two(_x: u32, _y: Opaque) -> u32 {
    1
}

#[wasmer_plugin]
pub fn give() -> Opaque {
    Opaque
}

fn main() {}
