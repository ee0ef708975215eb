//! The SIMD section (`benches/simd.rs`): the SIMD plugin's kernels built
//! as the build helper builds them (`+simd128`) and without SIMD, on one
//! megabyte, beside native code.

use std::fmt::Write as _;

use crate::measurements::Measurements;
use crate::{ratio, time};

/// The kernels, by group name, with what each does.
const KERNELS: [(&str, &str); 2] = [
    (
        "count_newlines",
        "`data.iter().filter(|&&b| b == b'\\n').count()` over `&[u8]`",
    ),
    (
        "brighten",
        "`pixels.iter().map(|b| b.saturating_add(32)).collect()`, `&[u8]` in, `Vec<u8>` out",
    ),
];

/// The section's text.
pub fn section(w: &mut String, m: &Measurements) {
    let _ = writeln!(w, "## Wasm SIMD\n");
    let _ = writeln!(
        w,
        "One plugin crate (`benches/plugins/simd`) built twice: **simd128** as the \
         build helper, `wasmer-plugin build` and a `wasmer-plugin new` crate build it \
         by default (`-Ctarget-feature=+simd128`), **scalar** with \
         `Options::without_simd` (the benchmark checks that the first holds SIMD \
         instructions and the second none). Each is a whole plugin call on the same \
         1 MiB of text-like bytes (the megabyte copied in, the kernel, the answer \
         read back); **native** is the kernel in the host process, no wasm.\n"
    );
    let _ = writeln!(
        w,
        "| kernel | simd128 | scalar | native | scalar / simd128 | simd128 / native |"
    );
    let _ = writeln!(w, "|---|---:|---:|---:|---:|---:|");
    for (kernel, _) in KERNELS {
        let group = format!("simd/{kernel}");
        let simd = m.get(&group, "simd128");
        let scalar = m.get(&group, "scalar");
        let native = m.get(&group, "native");
        let _ = writeln!(
            w,
            "| {kernel} | {} | {} | {} | {} | {} |",
            time(simd),
            time(scalar),
            time(native),
            ratio(scalar, simd),
            ratio(simd, native),
        );
    }
    let _ = writeln!(w);
    for (kernel, what) in KERNELS {
        let _ = writeln!(w, "- `{kernel}`: {what};");
    }
    let _ = writeln!(
        w,
        "\nThe gain is the compiler's: loops it can vectorise run on 16 bytes at a \
         time, the rest of a plugin is unchanged. The host accepts SIMD from every \
         plugin; `Options::without_simd` and `wasmer-plugin new --no-simd` are for \
         plugins that must also run on runtimes without it.\n"
    );
}
