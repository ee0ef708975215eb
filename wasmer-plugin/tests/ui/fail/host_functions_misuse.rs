use wasmer_plugin::host_functions;

#[host_functions]
extern "C" {
    fn mutable(x: &mut Vec<u8>);
    fn borrowed_reply(key: &str) -> &str;
    fn generic<T>(x: T);
    fn opaque() -> impl Sized;
    fn pattern((a, b): (u8, u8));
    static COUNTER: u32;
}

#[host_functions]
extern "system" {
    fn wrong_abi(x: u32);
}

#[host_functions]
pub fn not_a_block() {}

#[host_functions(codec = "protobuf")]
extern "C" {
    fn unknown_codec(x: u32);
}

// The functions are still declared: calling them adds no errors.
fn main() {
    mutable(&mut Vec::new());
    let _: &str = borrowed_reply("key");
    unknown_codec(1);
    wrong_abi(2);
}
