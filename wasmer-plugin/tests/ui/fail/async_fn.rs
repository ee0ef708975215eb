use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin]
pub async fn later(x: u32) -> u32 {
    x
}

fn main() {}
