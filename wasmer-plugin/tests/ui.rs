//! Compile-fail tests: every misuse of `#[wasmer_plugin]` is a compile
//! error pointing at the offending tokens. Refresh the `.stderr` files
//! after a deliberate change with `TRYBUILD=overwrite cargo test -p wasmer-plugin --test ui`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
