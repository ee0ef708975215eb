//! What the host reads from a module's bytes before it compiles them: its
//! size, its metadata (every `wasmer-plugin` section, in order), the
//! memories and tables an instance of it would need, and what its code
//! would cost to compile (`limits::code_shape`, checked by [`check_code`]
//! only when it is about to be compiled). Passes linear in the module's
//! size, so that a module refused here costs no compilation.

use wasmer::wasmparser::TypeRef;
use wasmer::wasmparser::{Parser, Payload};
use wasmer_plugin_abi::{
    ABI_VERSION, FunctionRecord, MAX_METADATA_BYTES, METADATA_SECTION, Metadata, MetadataError,
    parse_metadata,
};

use crate::Error;
use crate::limits::{
    CodeLimits, CodeShape, InstanceBudget, Limits, TableNeed, check_file_size, check_module_size,
};
use crate::reply::cap_message;

/// A module that passed the checks that need no compiler.
pub(crate) struct ModuleShape {
    pub(crate) functions: Vec<FunctionRecord>,
    /// The ABI version of each function's record.
    pub(crate) function_versions: Vec<u32>,
    /// The host functions the metadata declares.
    pub(crate) imports: Vec<FunctionRecord>,
    /// What the module's import section names: `(module, name)`.
    pub(crate) module_imports: Vec<(String, String)>,
    pub(crate) budget: InstanceBudget,
}

impl ModuleShape {
    pub(crate) fn read(wasm: &[u8], limits: &Limits) -> Result<ModuleShape, Error> {
        check_file_size(wasm.len(), limits.max_file_bytes)?;
        // The code's shape is checked just before compiling
        // (`check_code`), which a cache hit skips.
        let mut sections = Sections::read(wasm, None)?;
        check_module_size(
            wasm.len(),
            sections.uncompiled_bytes,
            limits.max_module_bytes,
        )?;
        let Metadata {
            functions,
            function_versions,
            imports,
        } = sections.metadata()?;
        let budget = InstanceBudget::new(
            limits.max_memory_bytes,
            &sections.tables,
            &sections.memory_pages,
        )?;
        Ok(ModuleShape {
            functions,
            function_versions,
            imports,
            module_imports: std::mem::take(&mut sections.imports),
            budget,
        })
    }
}

/// Checks what compiling `wasm` would cost against `limits` (its
/// functions, their bodies, blocks and calls: `limits::code_shape`), in a
/// pass over its code. Run only before compiling: a cache hit's key holds
/// the limits its module met when it was compiled, so a hit needs no
/// second look at the code.
pub(crate) fn check_code(wasm: &[u8], limits: CodeLimits) -> Result<(), Error> {
    Sections::read(wasm, Some(limits)).map(drop)
}

/// The functions a plugin module describes, read from its metadata
/// sections without compiling it: what `Host::functions` will list, or
/// the error loading would give for the metadata ([`Error::NotAPlugin`],
/// [`Error::AbiMismatch`], [`Error::Metadata`]) or for bytes that are not
/// a WebAssembly module ([`Error::Compile`]). For tools that inspect
/// plugins; nothing of the module runs.
pub fn plugin_functions(wasm: &[u8]) -> Result<Vec<FunctionRecord>, Error> {
    Ok(Sections::read(wasm, None)?.metadata()?.functions)
}

/// The host functions a plugin module imports, read from its metadata
/// like [`plugin_functions`] reads its functions.
pub fn plugin_imports(wasm: &[u8]) -> Result<Vec<FunctionRecord>, Error> {
    Ok(Sections::read(wasm, None)?.metadata()?.imports)
}

/// The capabilities a plugin module asks for (`"clock"`, `"randomness"`),
/// sorted, read from its imports like [`plugin_functions`] reads its
/// functions: what a host must grant on its builder to load it.
pub fn plugin_capabilities(wasm: &[u8]) -> Result<Vec<&'static str>, Error> {
    let sections = Sections::read(wasm, None)?;
    sections.metadata()?;
    Ok(crate::capabilities::requested(&sections.imports))
}

/// What one pass over the module's sections collects.
struct Sections {
    metadata: Option<Vec<u8>>,
    tables: Vec<TableNeed>,
    memory_pages: Vec<u64>,
    imports: Vec<(String, String)>,
    /// The bytes of custom sections other than the metadata: debug
    /// information, names, producers.
    uncompiled_bytes: usize,
}

impl Sections {
    /// One pass over `wasm`, checking its code against `code` when given
    /// (a module about to be compiled), else skipping the code.
    fn read(wasm: &[u8], code: Option<CodeLimits>) -> Result<Sections, Error> {
        if !wasm.starts_with(b"\0asm") {
            return Err(Error::Compile(wasmer::CompileError::Validate(
                "these bytes are not a WebAssembly module: they do not start with `\\0asm`"
                    .to_owned(),
            )));
        }
        let malformed = |err: wasmer::wasmparser::BinaryReaderError| {
            Error::Compile(wasmer::CompileError::Validate(err.to_string()))
        };
        let mut sections = Sections {
            metadata: None,
            tables: Vec::new(),
            memory_pages: Vec::new(),
            imports: Vec::new(),
            uncompiled_bytes: 0,
        };
        let mut code = code.map(CodeShape::new);
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(malformed)? {
                Payload::CustomSection(section) if section.name() == METADATA_SECTION => {
                    let bytes = sections.metadata.get_or_insert_with(Vec::new);
                    let len = bytes.len() + section.data().len();
                    if len > MAX_METADATA_BYTES {
                        return Err(Error::Metadata(MetadataError::TooLarge { len }));
                    }
                    bytes.extend_from_slice(section.data());
                }
                Payload::CustomSection(section) => {
                    let range = section.range();
                    sections.uncompiled_bytes += (range.end - range.start) as usize;
                }
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(malformed)?;
                        // Only functions can be provided; anything else is
                        // an import no plugin host knows.
                        let name = match import.ty {
                            TypeRef::Func(_) => import.name.to_owned(),
                            _ => format!("{} (not a function)", import.name),
                        };
                        sections.imports.push((import.module.to_owned(), name));
                    }
                }
                Payload::TableSection(reader) => {
                    for table in reader {
                        let ty = table.map_err(malformed)?.ty;
                        sections.tables.push(TableNeed {
                            initial: ty.initial,
                            maximum: ty.maximum,
                        });
                    }
                }
                Payload::MemorySection(reader) => {
                    for memory in reader {
                        sections
                            .memory_pages
                            .push(memory.map_err(malformed)?.initial);
                    }
                }
                Payload::FunctionSection(reader) => {
                    if let Some(code) = &code {
                        code.functions(reader.count())?;
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    if let Some(code) = &mut code {
                        code.body(&body, malformed)?;
                    }
                }
                _ => {}
            }
        }
        Ok(sections)
    }

    /// The records of the metadata; a plugin has at least one function.
    fn metadata(&self) -> Result<Metadata, Error> {
        let metadata = match &self.metadata {
            None => return Err(Error::NotAPlugin),
            Some(bytes) => parse_records(bytes)?,
        };
        if metadata.functions.is_empty() {
            return Err(Error::NotAPlugin);
        }
        Ok(metadata)
    }
}

/// The records in the bytes of the metadata sections.
pub(crate) fn parse_records(section: &[u8]) -> Result<Metadata, Error> {
    parse_metadata(section).map_err(|err| match err {
        MetadataError::VersionMismatch { found } => Error::AbiMismatch {
            plugin: found,
            host: ABI_VERSION,
        },
        MetadataError::DuplicateFunction { name } => {
            Error::Metadata(MetadataError::DuplicateFunction {
                name: cap_message(name),
            })
        }
        MetadataError::DuplicateImport { name } => {
            Error::Metadata(MetadataError::DuplicateImport {
                name: cap_message(name),
            })
        }
        other => Error::Metadata(other),
    })
}
