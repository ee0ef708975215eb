use wasmer_plugin::wasmer_plugin;

pub struct Counter(u32);

impl Counter {
    #[wasmer_plugin]
    pub fn get(&self) -> u32 {
        self.0
    }
}

fn main() {}
