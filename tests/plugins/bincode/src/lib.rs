//! The shared test functions, built with the bincode codec.
wasmer_plugin_tests_common::plugin_functions!("bincode");
