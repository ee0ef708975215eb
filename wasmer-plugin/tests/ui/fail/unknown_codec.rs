use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin(codec = "protobuf")]
pub fn encode(x: u32) -> u32 {
    x
}

fn main() {}
