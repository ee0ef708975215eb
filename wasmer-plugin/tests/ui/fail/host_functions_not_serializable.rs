use wasmer_plugin::host_functions;

struct Opaque;

#[host_functions]
extern "C" {
    fn send(value: Opaque);
    fn receive() -> Opaque;
}

fn main() {
    send(Opaque);
    let _ = receive();
}
