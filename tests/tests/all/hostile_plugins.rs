//! A plugin that attacks its host (`plugins/hostile`): each attack ends
//! in its own error, and the same `Host` serves the next call.

use wasmer_plugin_host::{Bincode, Error, Host, TrapCode};
use wasmer_plugin_tests::plugin;

const FUEL: u64 = 200_000_000;
const MEMORY: u64 = 32 << 20;

fn hostile_host() -> Host<Bincode> {
    Host::<Bincode>::builder()
        .fuel_per_call(FUEL)
        .max_memory_bytes(MEMORY)
        .build(plugin("hostile_plugin"))
        .unwrap()
}

fn assert_recovers(host: &mut Host<Bincode>) {
    let text = "still here".to_owned();
    assert_eq!(host.call::<_, String>("echo", &text).unwrap(), text);
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let mut host = hostile_host();
    let err = host.call::<_, u64>("spin", &()).unwrap_err();
    assert!(
        matches!(&err, Error::OutOfFuel { function, budget } if function == "spin" && *budget == FUEL),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn unbounded_vec_growth_hits_the_memory_limit() {
    let mut host = hostile_host();
    let err = host.call::<_, usize>("hoard", &()).unwrap_err();
    assert!(
        matches!(&err, Error::MemoryLimit { function, limit } if function == "hoard" && *limit == MEMORY),
        "{err:?}"
    );
    assert_recovers(&mut host);
    assert!(host.memory_size().unwrap() <= MEMORY);
}

#[test]
fn unbounded_recursion_traps_on_the_stack() {
    let mut host = hostile_host();
    let err = host.call::<_, u64>("recurse", &0u64).unwrap_err();
    assert!(
        matches!(&err, Error::Trap { function, code: Some(code), .. } if function == "recurse" && *code == TrapCode::StackOverflow),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn a_panic_while_encoding_the_output_is_a_panic() {
    let mut host = hostile_host();
    let err = host.call::<_, ()>("panic_while_encoding", &()).unwrap_err();
    assert!(
        matches!(&err, Error::Panic { function, message } if function == "panic_while_encoding" && message.contains("Unencodable refuses to be encoded")),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn a_panic_inside_the_allocator_fails_the_allocation() {
    let mut host = hostile_host();
    host.call::<_, ()>("arm_allocator_panic", &()).unwrap();
    // Two megabytes of input make the host ask the allocator for a
    // buffer over the armed threshold.
    let big = "x".repeat(2 << 20);
    let err = host.call::<_, String>("echo", &big).unwrap_err();
    assert!(
        matches!(&err, Error::GuestAlloc { function, reason, .. } if function == "echo" && reason.contains("panicked") && reason.contains("the allocator refuses")),
        "{err:?}"
    );
    assert_recovers(&mut host);
    // The fresh instance's allocator is not armed.
    assert_eq!(host.call::<_, String>("echo", &big).unwrap(), big);
}

#[test]
fn arguments_larger_than_the_memory_limit_fail_the_allocation() {
    let mut host = hostile_host();
    let big = "x".repeat(MEMORY as usize);
    let err = host.call::<_, String>("echo", &big).unwrap_err();
    assert!(
        matches!(&err, Error::MemoryLimit { function, .. } if function == "echo"),
        "{err:?}"
    );
    assert_recovers(&mut host);
}

#[test]
fn limits_do_not_get_in_the_way_of_ordinary_calls() {
    let mut host = hostile_host();
    for _ in 0..100 {
        assert_recovers(&mut host);
    }
}
