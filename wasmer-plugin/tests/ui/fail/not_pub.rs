use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin]
fn private(x: u32) -> u32 {
    x
}

#[wasmer_plugin]
pub(crate) fn crate_visible(x: u32) -> u32 {
    x
}

fn main() {
    // The functions are still emitted, so using them adds no errors.
    let _ = private(1) + crate_visible(2);
}
