use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin]
pub struct Config {
    pub size: u32,
}

fn main() {
    let _ = Config { size: 1 };
}
