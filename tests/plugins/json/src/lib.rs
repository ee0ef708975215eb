//! The shared test functions, built with the json codec.
wasmer_plugin_tests_common::plugin_functions!("json");
