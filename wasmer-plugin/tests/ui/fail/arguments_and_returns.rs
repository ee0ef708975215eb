use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin]
pub fn mutable(x: &mut Vec<u8>) {
    x.clear();
}

#[wasmer_plugin]
pub fn borrowed_return(x: &str) -> &str {
    x
}

#[wasmer_plugin]
pub unsafe fn dangerous(x: u32) -> u32 {
    x
}

#[wasmer_plugin]
pub fn static_argument(x: &'static str) -> usize {
    x.len()
}

#[wasmer_plugin]
pub fn nested_borrow(x: &str) -> Option<std::borrow::Cow<'_, str>> {
    Some(x.into())
}

fn main() {}
