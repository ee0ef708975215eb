//! What the test plugins and the tests that call them share: the data
//! types, a user-defined codec, and the set of plugin functions every
//! codec's plugin exports.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A nested value with every shape the codecs must carry: structs, enums
/// with data, options, vectors and maps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub id: u64,
    pub customer: Customer,
    pub lines: Vec<Line>,
    pub notes: Option<String>,
    pub tags: HashMap<String, u32>,
    pub priority: Priority,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
    pub unit_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Priority {
    Low,
    Rush { by_hour: u8 },
    Custom(String),
}

/// What the `summarize` plugin function computes from an [`Order`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub id: u64,
    pub total_cents: i64,
    pub items: u32,
    pub first_sku: Option<String>,
    pub tag_total: u32,
    pub greeting: String,
    pub rush: bool,
}

/// The error of the `divide` plugin function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MathError {
    DivideByZero { dividend: i64 },
    Overflow,
}

/// A struct for the type checks: positional codecs see its field order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: i32,
    pub y: i32,
}

/// A struct whose fields may go missing in formats with field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub name: String,
    #[serde(default)]
    pub retries: u32,
    pub comment: Option<String>,
}

/// A struct that refuses fields it does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strict {
    pub level: u8,
}

/// An enum for the variant checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    Circle(u32),
    Square { side: u32 },
}

/// A return type that is only `Serialize`: it cannot be described, so
/// calls of the function that returns it are not checked on that side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Opaque {
    pub text: String,
}

/// An argument type that needs a self-describing format to decode: it
/// cannot be described either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Loose {
    Number(u32),
    Text(String),
}

/// The reference implementation of `summarize`, run natively by the tests.
pub fn summarize(order: &Order) -> Summary {
    Summary {
        id: order.id,
        total_cents: order
            .lines
            .iter()
            .map(|line| line.quantity as i64 * line.unit_cents)
            .sum(),
        items: order.lines.iter().map(|line| line.quantity).sum(),
        first_sku: order.lines.first().map(|line| line.sku.clone()),
        tag_total: order.tags.values().sum(),
        greeting: format!("Dear {}", order.customer.name),
        rush: matches!(order.priority, Priority::Rush { .. }),
    }
}

/// FNV-1a, so that plugin and test agree on a checksum of large inputs.
pub fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `len` bytes of a repeating pattern, so that plugin and test agree on
/// large outputs.
pub fn pattern(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A recursive type: decoding it recurses once per level of the input,
/// which is what the codecs' depth limit is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Nested {
    Leaf,
    Node(Box<Nested>),
}

impl Nested {
    /// `levels` nodes around a leaf.
    pub fn levels(levels: usize) -> Nested {
        (0..levels).fold(Nested::Leaf, |inner, _| Nested::Node(Box::new(inner)))
    }

    /// How many nodes lead to the leaf, counted without recursing.
    pub fn depth(&self) -> u32 {
        let mut depth = 0;
        let mut at = self;
        while let Nested::Node(inner) = at {
            depth += 1;
            at = inner;
        }
        depth
    }
}

impl Drop for Nested {
    /// Drops a deep value without recursing.
    fn drop(&mut self) {
        let mut next = match self {
            Nested::Node(inner) => std::mem::replace(&mut **inner, Nested::Leaf),
            Nested::Leaf => return,
        };
        while let Nested::Node(inner) = &mut next {
            next = std::mem::replace(&mut **inner, Nested::Leaf);
        }
    }
}

/// `Nested::levels(levels)` encoded with `C`, built without recursing:
/// each format writes a node as a prefix and a suffix around its child.
pub fn nested_bytes<C: wasmer_plugin_abi::Codec>(levels: usize) -> Vec<u8> {
    let encode = |value: &Nested| {
        let mut out = Vec::new();
        C::encode(value, &mut out).expect("a shallow value encodes");
        out
    };
    let leaf = encode(&Nested::Leaf);
    let node = encode(&Nested::levels(1));
    let at = node
        .windows(leaf.len())
        .rposition(|window| window == leaf)
        .expect("a node holds its child");
    let (prefix, suffix) = (&node[..at], &node[at + leaf.len()..]);
    let mut bytes = prefix.repeat(levels);
    bytes.extend(&leaf);
    bytes.extend(suffix.repeat(levels));
    bytes
}

/// A codec the framework does not ship, to show that any `Codec` works:
/// JSON under another name.
pub struct CustomJson;

impl wasmer_plugin_abi::Codec for CustomJson {
    const NAME: &'static str = "custom-json";
    type Error = serde_json::Error;

    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Self::Error> {
        serde_json::to_writer(out, value)
    }

    fn decode<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Self::Error> {
        serde_json::from_slice(bytes)
    }
}

/// What the `frame` plugin function computes: the name in capitals, the
/// body `times` times then the trailer, and the body's checksum.
pub fn frame(name: &str, body: &[u8], trailer: &[u8], times: u8) -> (String, Vec<u8>, u64) {
    let mut framed = body.repeat(times as usize);
    framed.extend_from_slice(trailer);
    (name.to_uppercase(), framed, checksum(body))
}

/// Defines the plugin functions every codec's test plugin exports, all
/// with the codec named by the literal `$codec`.
#[macro_export]
macro_rules! plugin_functions {
    ($codec:tt) => {
        use ::std::collections::HashMap;
        use ::wasmer_plugin::wasmer_plugin;
        use $crate::{MathError, Order, Summary};

        /// No arguments.
        #[wasmer_plugin(codec = $codec)]
        pub fn answer() -> u32 {
            42
        }

        /// A rich value there and back, for property tests.
        #[wasmer_plugin(codec = $codec)]
        pub fn echo(order: Order) -> Order {
            order
        }

        /// Floats there and back, for the property that none changes.
        #[wasmer_plugin(codec = $codec)]
        pub fn echo_floats(f64s: Vec<f64>, f32s: Vec<f32>) -> (Vec<f64>, Vec<f32>) {
            (f64s, f32s)
        }

        /// No arguments, no return value.
        #[wasmer_plugin(codec = $codec)]
        pub fn nothing() {}

        /// One argument.
        #[wasmer_plugin(codec = $codec)]
        pub fn double(x: i64) -> i64 {
            x.wrapping_mul(2)
        }

        /// Three arguments.
        #[wasmer_plugin(codec = $codec)]
        pub fn describe(name: String, age: u8, scores: Vec<f64>) -> String {
            let total: f64 = scores.iter().sum();
            format!("{name} ({age}) scored {total}")
        }

        /// A borrowed string and a number.
        #[wasmer_plugin(codec = $codec)]
        pub fn repeat(text: &str, times: u32) -> String {
            text.repeat(times as usize)
        }

        /// Borrowed bytes.
        #[wasmer_plugin(codec = $codec)]
        pub fn checksum(bytes: &[u8]) -> u64 {
            $crate::checksum(bytes)
        }

        /// A unit return with an argument.
        #[wasmer_plugin(codec = $codec)]
        pub fn ignore(_value: Option<String>) {}

        /// `Result` crosses as a value.
        #[wasmer_plugin(codec = $codec)]
        pub fn divide(dividend: i64, divisor: i64) -> Result<i64, MathError> {
            if divisor == 0 {
                return Err(MathError::DivideByZero { dividend });
            }
            dividend.checked_div(divisor).ok_or(MathError::Overflow)
        }

        /// Nested structs, enums, options, vectors and maps.
        #[wasmer_plugin(codec = $codec)]
        pub fn summarize(order: &Order) -> Summary {
            $crate::summarize(order)
        }

        /// Maps in and out.
        #[wasmer_plugin(codec = $codec)]
        pub fn invert(map: HashMap<String, u32>) -> HashMap<u32, Vec<String>> {
            let mut inverted: HashMap<u32, Vec<String>> = HashMap::new();
            for (key, value) in map {
                inverted.entry(value).or_default().push(key);
            }
            for keys in inverted.values_mut() {
                keys.sort();
            }
            inverted
        }

        /// A large input, returned as its length and checksum.
        #[wasmer_plugin(codec = $codec)]
        pub fn digest(bytes: Vec<u8>) -> (u64, u64) {
            (bytes.len() as u64, $crate::checksum(&bytes))
        }

        /// The obvious byte signature: borrowed in, owned out.
        #[wasmer_plugin(codec = $codec)]
        pub fn echo_bytes(bytes: &[u8]) -> Vec<u8> {
            bytes.to_vec()
        }

        /// An owned byte buffer in and out.
        #[wasmer_plugin(codec = $codec)]
        pub fn reverse_bytes(mut bytes: Vec<u8>) -> Vec<u8> {
            bytes.reverse();
            bytes
        }

        /// Byte buffers mixed with other arguments, and in a returned tuple.
        #[wasmer_plugin(codec = $codec)]
        pub fn frame(
            name: &str,
            body: &[u8],
            trailer: Vec<u8>,
            times: u8,
        ) -> (String, Vec<u8>, u64) {
            $crate::frame(name, body, &trailer, times)
        }

        /// A large output.
        #[wasmer_plugin(codec = $codec)]
        pub fn generate(len: u32) -> Vec<u8> {
            $crate::pattern(len)
        }

        /// A recursive argument: a deep one must be refused by the
        /// guest's decoding, not overflow its stack.
        #[wasmer_plugin(codec = $codec)]
        pub fn depth(tree: $crate::Nested) -> u32 {
            tree.depth()
        }

        /// Panics with the given message.
        #[wasmer_plugin(codec = $codec)]
        pub fn fail(message: String) -> u32 {
            panic!("plugin gave up: {message}")
        }

        /// Moves a point, for the type checks of struct fields.
        #[wasmer_plugin(codec = $codec)]
        pub fn shift(point: $crate::Point) -> $crate::Point {
            $crate::Point {
                x: point.x + 1,
                y: point.y + 10,
            }
        }

        /// Settings there and back, for added and missing fields.
        #[wasmer_plugin(codec = $codec)]
        pub fn configure(settings: $crate::Settings) -> $crate::Settings {
            $crate::Settings {
                retries: settings.retries + 1,
                ..settings
            }
        }

        /// A struct with `deny_unknown_fields`.
        #[wasmer_plugin(codec = $codec)]
        pub fn strict_level(strict: $crate::Strict) -> u8 {
            strict.level
        }

        /// An enum argument.
        #[wasmer_plugin(codec = $codec)]
        pub fn kind_size(kind: $crate::Kind) -> u32 {
            match kind {
                $crate::Kind::Circle(radius) => radius,
                $crate::Kind::Square { side } => side,
            }
        }

        /// An enum return value.
        #[wasmer_plugin(codec = $codec)]
        pub fn kind_of(size: u32) -> $crate::Kind {
            match size % 2 {
                0 => $crate::Kind::Circle(size),
                _ => $crate::Kind::Square { side: size },
            }
        }

        /// A return type that cannot be described.
        #[wasmer_plugin(codec = $codec)]
        pub fn opaque(text: String) -> $crate::Opaque {
            $crate::Opaque { text }
        }

        /// An argument type that cannot be described.
        #[wasmer_plugin(codec = $codec)]
        pub fn loose(value: $crate::Loose) -> String {
            format!("{value:?}")
        }

        /// A summary's total, for pipelines after `summarize`; panics for
        /// an order without items.
        #[wasmer_plugin(codec = $codec)]
        pub fn total_of(summary: Summary) -> i64 {
            assert!(summary.items > 0, "order {} has no items", summary.id);
            summary.total_cents
        }

        /// The plugin crate's name: which version of a reloaded plugin
        /// answered.
        #[wasmer_plugin(codec = $codec)]
        pub fn plugin_name() -> String {
            env!("CARGO_PKG_NAME").to_owned()
        }
    };
}

/// The host functions every codec's host-calls plugin imports, and the
/// plugin functions that call them, all in the codec named by `$codec`.
/// The tests register the host side (`tests/tests/all/host_functions.rs`).
#[macro_export]
macro_rules! host_calls_plugin {
    ($codec:tt) => {
        use ::wasmer_plugin::{host_functions, wasmer_plugin};
        use $crate::{Order, Summary};

        #[host_functions(codec = $codec)]
        extern "C" {
            /// Appends a line to the host's log.
            fn log(line: &str);
            /// A configuration value, if the host has one for `key`.
            fn config(key: &str) -> Option<String>;
            /// Adds to the host's running total and returns the new total.
            fn add(amount: u64) -> u64;
            /// Division on the host, with its error as a value.
            fn divide(dividend: i64, divisor: i64) -> Result<i64, String>;
            /// Fails on the host (registered with `try_host_fn`).
            fn fail(reason: &str);
            /// Panics on the host.
            fn explode(message: &str);
            /// `data` repeated `times` times: a reply as long as asked.
            fn repeat(data: &[u8], times: u32) -> Vec<u8>;
            /// The host registers this one for another argument type.
            fn strict(text: &str) -> u32;
            /// Nothing at all, for counting calls.
            fn ping();
            /// A struct each way.
            fn summarize(order: &Order) -> Summary;
        }

        /// Logs each line; returns how many it logged.
        #[wasmer_plugin(codec = $codec)]
        pub fn log_lines(lines: Vec<String>) -> u32 {
            for line in &lines {
                log(line);
            }
            lines.len() as u32
        }

        /// A greeting built from the host's configuration.
        #[wasmer_plugin(codec = $codec)]
        pub fn greeting(key: &str) -> String {
            match config(key) {
                Some(name) => format!("hello, {name}"),
                None => format!("no `{key}` configured"),
            }
        }

        /// Adds every amount on the host; returns the host's last total.
        #[wasmer_plugin(codec = $codec)]
        pub fn add_all(amounts: Vec<u64>) -> u64 {
            amounts.into_iter().map(add).last().unwrap_or(0)
        }

        /// The host's division, its error passed on as a value.
        #[wasmer_plugin(codec = $codec)]
        pub fn host_divide(dividend: i64, divisor: i64) -> Result<i64, String> {
            divide(dividend, divisor).map_err(|err| format!("host says: {err}"))
        }

        /// Calls a failing host function; never gets to return.
        #[wasmer_plugin(codec = $codec)]
        pub fn call_fail(reason: &str) -> u32 {
            fail(reason);
            1
        }

        /// Calls a panicking host function; never gets to return.
        #[wasmer_plugin(codec = $codec)]
        pub fn call_explode(message: &str) -> u32 {
            explode(message);
            1
        }

        /// Asks the host for `len * times` bytes and checks every one.
        #[wasmer_plugin(codec = $codec)]
        pub fn repeat_checked(len: u32, times: u32) -> u64 {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let reply = repeat(&data, times);
            assert_eq!(reply.len(), (len * times) as usize, "reply length");
            for (i, byte) in reply.iter().enumerate() {
                assert_eq!(*byte, data[i % len as usize], "byte {i}");
            }
            reply.len() as u64
        }

        /// Sends `strict` a string where the host wants a number pair.
        #[wasmer_plugin(codec = $codec)]
        pub fn send_garbage() -> u32 {
            strict("not what the host decodes")
        }

        /// Calls `ping` `times` times.
        #[wasmer_plugin(codec = $codec)]
        pub fn ping_many(times: u32) -> u32 {
            for _ in 0..times {
                ping();
            }
            times
        }

        /// The plugin crate's name, as the shared functions' `plugin_name`
        /// answers it: which version of a reloaded plugin answered.
        #[wasmer_plugin(codec = $codec)]
        pub fn plugin_name() -> String {
            env!("CARGO_PKG_NAME").to_owned()
        }

        /// Named like the shared functions' `double`, of another type: a
        /// reload from one to the other changes its type.
        #[wasmer_plugin(codec = $codec)]
        pub fn double(text: String) -> String {
            text.repeat(2)
        }

        /// Has the host summarize `order`.
        #[wasmer_plugin(codec = $codec)]
        pub fn summarize_on_host(order: Order) -> Summary {
            summarize(&order)
        }

        /// Counts this instance's calls in a static, then `ping`s the host
        /// (whose `ping` may call a pool in turn): the count.
        #[wasmer_plugin(codec = $codec)]
        pub fn count_and_ping() -> u32 {
            static CALLS: ::core::sync::atomic::AtomicU32 = ::core::sync::atomic::AtomicU32::new(0);
            let calls = CALLS.fetch_add(1, ::core::sync::atomic::Ordering::Relaxed) + 1;
            ping();
            calls
        }

        /// Calls `ping` until the host stops it.
        #[wasmer_plugin(codec = $codec)]
        pub fn ping_forever() {
            loop {
                ping();
            }
        }

        /// Panics with `message`.
        #[wasmer_plugin(codec = $codec)]
        pub fn panic_now(message: &str) -> u32 {
            panic!("{message}")
        }

        /// Traps (`unreachable`) without a panic.
        #[wasmer_plugin(codec = $codec)]
        pub fn trap_now() -> u32 {
            ::core::arch::wasm32::unreachable()
        }

        /// Loops without calling the host until fuel or the deadline
        /// stops it.
        #[wasmer_plugin(codec = $codec)]
        pub fn spin_forever() {
            let mut turns = 0u64;
            loop {
                turns = ::core::hint::black_box(turns.wrapping_add(1));
            }
        }
    };
}
