//! The end-to-end tests, one binary (each test binary links wasmer): one
//! module per subject.

mod byte_buffers;
mod codecs;
mod failures;
mod hostile_plugins;
mod long_run;
mod misbehaving_guests;
mod modules;
mod properties;
mod scale;
mod security;
