use serde::{Deserialize, Serialize};
use wasmer_plugin::{host_functions, wasmer_plugin};

#[derive(Serialize, Deserialize)]
pub struct Point {
    x: i32,
    y: i32,
}

#[host_functions]
extern "C" {
    /// Documented, private.
    fn log(line: &str);
    pub fn lookup(key: &str) -> Option<String>;
    fn nothing();
    fn several(bytes: &[u8], point: &Point, owned: Vec<String>) -> Result<u64, String>;
    fn r#type(mut value: u8) -> Point;
}

#[host_functions(codec = "postcard")]
unsafe extern "C" {
    fn in_postcard(x: u32) -> u32;
}

#[wasmer_plugin]
pub fn uses_them(key: &str) -> String {
    log("called");
    nothing();
    let _ = several(b"bytes", &Point { x: 1, y: 2 }, vec![]);
    let _ = r#type(1);
    let _ = in_postcard(3);
    lookup(key).unwrap_or_default()
}

fn main() {
    // Natively there is no host: calling one panics with a clear message.
    let panic = std::panic::catch_unwind(|| lookup("key")).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("host function `lookup` can only be called"), "{message}");
}
