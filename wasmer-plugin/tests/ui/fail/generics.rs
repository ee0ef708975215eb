use wasmer_plugin::wasmer_plugin;

#[wasmer_plugin]
pub fn generic<T: Clone>(x: T) -> T {
    x
}

#[wasmer_plugin]
pub fn with_lifetime<'a>(x: &'a str) -> usize {
    x.len()
}

#[wasmer_plugin]
pub fn with_impl_trait(x: impl Into<u32>) -> u32 {
    x.into()
}

fn main() {}
