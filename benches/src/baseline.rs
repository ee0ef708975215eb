use wasmer::{
    Engine, Function, FunctionEnv, FunctionEnvMut, Instance, Memory, Module, Store, TypedFunction,
    imports,
};
use wasmer_plugin_bench_payloads::{Small, Work};
use wasmer_plugin_host::{Bincode, Codec, Json, MsgPack, Postcard};

/// A host for the hand-written baseline plugin, as lean as a host of the
/// bare minimum ABI can be: exports looked up once, one `alloc` call and
/// one copy in, the output decoded straight from guest memory. It trusts
/// the plugin completely (no bounds beyond wasmer's own checks, errors
/// are panics).
pub struct Baseline {
    store: Store,
    memory: Memory,
    alloc: TypedFunction<u32, u32>,
    nop: TypedFunction<(), ()>,
    ping_host: TypedFunction<u32, ()>,
    instance: Instance,
    input: Vec<u8>,
}

/// A round-trip export of the baseline plugin.
pub struct BaselineFunction(TypedFunction<(u32, u32), u64>);

impl Baseline {
    pub fn new(wasm: &[u8]) -> Baseline {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).expect("the baseline plugin compiles");
        let mut store = Store::new(engine);
        let env = FunctionEnv::new(
            &mut store,
            HostCalls {
                memory: None,
                reply: Vec::new(),
            },
        );
        let imports = imports! {
            "baseline" => {
                "transform_bincode" => Function::new_typed_with_env(&mut store, &env, transform::<Bincode>),
                "transform_msgpack" => Function::new_typed_with_env(&mut store, &env, transform::<MsgPack>),
                "transform_postcard" => Function::new_typed_with_env(&mut store, &env, transform::<Postcard>),
                "transform_json" => Function::new_typed_with_env(&mut store, &env, transform::<Json>),
                "ping" => Function::new_typed(&mut store, || {}),
            }
        };
        let instance = Instance::new(&mut store, &module, &imports).expect("instantiates");
        let exports = &instance.exports;
        env.as_mut(&mut store).memory = Some(exports.get_memory("memory").unwrap().clone());
        Baseline {
            memory: exports.get_memory("memory").unwrap().clone(),
            alloc: exports.get_typed_function(&store, "alloc").unwrap(),
            nop: exports.get_typed_function(&store, "nop").unwrap(),
            ping_host: exports.get_typed_function(&store, "ping_host").unwrap(),
            instance,
            store,
            input: Vec::new(),
        }
    }

    /// The export `name` (`{payload}_{codec}`).
    pub fn function(&self, name: &str) -> BaselineFunction {
        BaselineFunction(
            self.instance
                .exports
                .get_typed_function(&self.store, name)
                .unwrap_or_else(|err| panic!("baseline export `{name}`: {err}")),
        )
    }

    /// Encodes `value` with `C`, sends it through `function` and decodes
    /// the answer.
    pub fn round_trip<C: Codec, T>(&mut self, function: &BaselineFunction, value: &T) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        self.input.clear();
        C::encode(value, &mut self.input).unwrap();
        let len = self.input.len() as u32;
        let ptr = self.alloc.call(&mut self.store, len).unwrap();
        self.memory
            .view(&self.store)
            .write(ptr as u64, &self.input)
            .unwrap();
        let packed = function.0.call(&mut self.store, ptr, len).unwrap();
        let (out_ptr, out_len) = ((packed >> 32) as usize, packed as u32 as usize);
        let view = self.memory.view(&self.store);
        // SAFETY: no wasm runs while `view` borrows the store, so the
        // memory cannot change or grow under the slice; it is not shared.
        let memory = unsafe { view.data_unchecked() };
        C::decode(&memory[out_ptr..out_ptr + out_len]).unwrap()
    }

    /// Calls the plugin's `ping_host(times)`: `times` calls of an empty
    /// host function.
    pub fn ping_host(&mut self, times: u32) {
        self.ping_host.call(&mut self.store, times).unwrap();
    }

    /// Calls the plugin's empty export: the floor of any typed wasm call.
    pub fn empty_call(&mut self) {
        self.nop.call(&mut self.store).unwrap();
    }
}

/// What the baseline's host functions share.
struct HostCalls {
    memory: Option<Memory>,
    reply: Vec<u8>,
}

/// The baseline's `transform_{codec}(ptr, len, cap) -> len`: decodes the
/// small struct, does its work, writes the encoded reply over the
/// arguments. Trusts the plugin as the rest of the baseline does.
fn transform<C: Codec>(mut env: FunctionEnvMut<HostCalls>, ptr: u32, len: u32, _cap: u32) -> u32 {
    let (calls, store) = env.data_and_store_mut();
    let view = calls.memory.as_ref().unwrap().view(&store);
    // SAFETY: as in `round_trip`; the slice is the only reference into
    // guest memory while it lives.
    let memory = unsafe { view.data_unchecked_mut() };
    let (ptr, len) = (ptr as usize, len as usize);
    let value: Small = C::decode(&memory[ptr..ptr + len]).unwrap();
    calls.reply.clear();
    C::encode(&value.work(), &mut calls.reply).unwrap();
    memory[ptr..ptr + calls.reply.len()].copy_from_slice(&calls.reply);
    calls.reply.len() as u32
}
