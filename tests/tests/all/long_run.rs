//! One million calls on one instance: the guest's memory must not grow
//! after warm-up, whatever the mix of sizes. About ten seconds in a debug
//! build on a 2-core machine, so it runs with the other tests.

use wasmer_plugin_host::{Bincode, Host};
use wasmer_plugin_tests::plugin;

const CALLS: u32 = 1_000_000;

#[test]
fn a_million_calls_leave_guest_memory_unchanged() {
    let mut host = Host::<Bincode>::new(plugin("bincode-plugin")).unwrap();
    let repeat = host.function::<(&str, u32), String>("repeat").unwrap();
    let digest = host.function::<Vec<u8>, (u64, u64)>("digest").unwrap();
    let generate = host.function::<u32, Vec<u8>>("generate").unwrap();

    // Warm up with the largest sizes the loop uses, so the allocator and
    // the reused buffers reach their final size.
    host.call_function(&repeat, &("ab", 99)).unwrap();
    host.call_function(&digest, &vec![1; 4096]).unwrap();
    host.call_function(&generate, &4096).unwrap();
    let before = host.memory_size().unwrap();

    let blob = vec![7u8; 4096];
    for i in 0..CALLS {
        match i % 100 {
            0 => {
                let (len, _) = host.call_function(&digest, &blob).unwrap();
                assert_eq!(len, 4096);
            }
            1 => assert_eq!(
                host.call_function(&generate, &(i % 4096)).unwrap().len() as u32,
                i % 4096
            ),
            n => assert_eq!(
                host.call_function(&repeat, &("ab", n)).unwrap().len(),
                2 * n as usize
            ),
        }
    }
    assert_eq!(host.memory_size().unwrap(), before, "guest memory grew");
}
