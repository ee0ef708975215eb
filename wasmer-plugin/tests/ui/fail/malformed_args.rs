use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin(codec)]
pub fn missing_value(x: u32) -> u32 {
    x
}

#[wasmer_plugin(format = "json")]
pub fn unknown_key(x: u32) -> u32 {
    x
}

#[wasmer_plugin(codec = "json", codec = "postcard")]
pub fn twice(x: u32) -> u32 {
    x
}

#[wasmer_plugin(codec = 42)]
pub fn not_a_name(x: u32) -> u32 {
    x
}

fn main() {}
