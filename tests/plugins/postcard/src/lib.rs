//! The shared test functions, built with the postcard codec.
wasmer_plugin_tests_common::plugin_functions!("postcard");
