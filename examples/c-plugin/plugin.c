/*
 * A wasmer-plugin plugin written in C from docs/ABI.md alone: no Rust, no
 * libc. It exports one JSON-codec function,
 *
 *     add(i64, i64) -> i64
 *
 * which takes its arguments as the JSON array `[a, b]` and answers the
 * JSON number `a + b`, or the contract's `DecodeError` status with a
 * message when the input is not two integers (or their sum overflows).
 *
 * Build (clang and lld; see build.sh):
 *
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry \
 *       -Wl,--export=__wasmer_plugin_alloc -Wl,--export=__wasmer_plugin_free \
 *       -Wl,--export=__wasmer_plugin_slot -Wl,--export=__wasmer_plugin_fn_add \
 *       -o c_plugin.wasm plugin.c
 */

typedef unsigned int u32;
typedef unsigned char u8;
typedef long long i64;
typedef unsigned long long u64;

/* ---- Metadata: one function record in the `wasmer-plugin` section. ----
 *
 * abi_version: u32 = 2 | kind: u32 = 1 (function) | body_len: u32
 * body: four strings, each a u32 length and UTF-8: name, codec, argument
 * type, return type. All integers little-endian (`.int32` is).
 *
 * A section named `.custom_section.<name>` in the assembler becomes the
 * custom section `<name>` of the module (clang 14 does not do this for C
 * data with a section attribute, so the record is written in assembly). */
__asm__(
    ".section \".custom_section.wasmer-plugin\",\"\",@\n"
    ".int32 2\n"                           /* abi_version */
    ".int32 1\n"                           /* kind: function */
    ".int32 36\n"                          /* body_len: 4+3 + 4+4 + 4+10 + 4+3 */
    ".int32 3\n .ascii \"add\"\n"          /* name */
    ".int32 4\n .ascii \"json\"\n"         /* codec */
    ".int32 10\n .ascii \"(i64, i64)\"\n"  /* argument type */
    ".int32 3\n .ascii \"i64\"\n"          /* return type */
    ".text\n");

/* ---- The slot: the host reads the output's length, status and address
 * here; the exported global `__wasmer_plugin_slot` holds its address. */
enum { STATUS_OK = 0, STATUS_DECODE_ERROR = 1 };

struct slot {
    u32 len;
    u32 status;
    u32 ptr;
};

struct slot __wasmer_plugin_slot;

/* ---- Allocator: a bump allocator over the memory after the program's
 * data, growing the memory as needed. Freeing the most recent buffer
 * gives its space back (the host frees its input buffer only to take a
 * larger one), so repeated calls do not grow memory. */
extern u8 __heap_base;
static u32 heap_top;

#define PAGE 65536u
#define ALIGN 8u

u8 *__wasmer_plugin_alloc(u32 len) {
    if (heap_top == 0) {
        heap_top = ((u32)&__heap_base + ALIGN - 1) & ~(ALIGN - 1);
    }
    if (len == 0) {
        return (u8 *)ALIGN; /* non-zero, never read or written */
    }
    u32 start = heap_top;
    if (len > 0xffffffffu - start - ALIGN) {
        return 0;
    }
    u32 end = start + len;
    u32 have = (u32)__builtin_wasm_memory_size(0) * PAGE;
    if (end > have) {
        u32 pages = (end - have + PAGE - 1) / PAGE;
        if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) {
            return 0; /* out of memory: the contract's answer is 0 */
        }
    }
    heap_top = (end + ALIGN - 1) & ~(ALIGN - 1);
    return (u8 *)start;
}

void __wasmer_plugin_free(u8 *ptr, u32 len) {
    if (len != 0 && (u32)ptr + ((len + ALIGN - 1) & ~(ALIGN - 1)) == heap_top) {
        heap_top = (u32)ptr;
    }
}

/* ---- Output: one buffer the guest owns and reuses for every call. */
static u8 output[128];

static u8 *publish(u32 len, u32 status) {
    __wasmer_plugin_slot.len = len;
    __wasmer_plugin_slot.status = status;
    __wasmer_plugin_slot.ptr = (u32)output;
    return output;
}

static u8 *decode_error(void) {
    static const char message[] =
        "cannot decode `(i64, i64)` with json: expected an array of two integers whose sum fits in i64";
    u32 len = sizeof message - 1;
    for (u32 i = 0; i < len; i++) {
        output[i] = (u8)message[i];
    }
    return publish(len, STATUS_DECODE_ERROR);
}

/* ---- A JSON reader for exactly what `add` takes. */
struct reader {
    const u8 *at;
    const u8 *end;
};

static void skip_space(struct reader *r) {
    while (r->at < r->end && (*r->at == ' ' || *r->at == '\t' || *r->at == '\n' || *r->at == '\r')) {
        r->at++;
    }
}

static int expect(struct reader *r, u8 c) {
    skip_space(r);
    if (r->at < r->end && *r->at == c) {
        r->at++;
        return 1;
    }
    return 0;
}

/* An integer in i64, with its sign; 0 on anything else. */
static int read_i64(struct reader *r, i64 *value) {
    skip_space(r);
    int negative = r->at < r->end && *r->at == '-';
    if (negative) {
        r->at++;
    }
    u64 magnitude = 0;
    const u8 *digits = r->at;
    while (r->at < r->end && *r->at >= '0' && *r->at <= '9') {
        u64 next = magnitude * 10 + (u64)(*r->at - '0');
        if (magnitude > 922337203685477580ull || next > 9223372036854775808ull) {
            return 0;
        }
        magnitude = next;
        r->at++;
    }
    if (r->at == digits) {
        return 0;
    }
    if (!negative && magnitude > 9223372036854775807ull) {
        return 0;
    }
    *value = negative ? (i64)(0 - magnitude) : (i64)magnitude;
    return 1;
}

/* `add`'s export: `(input ptr, input len) -> output ptr`. */
u8 *__wasmer_plugin_fn_add(const u8 *input, u32 len) {
    struct reader r = {input, input + len};
    i64 a, b, sum;
    if (len == 0 || !expect(&r, '[') || !read_i64(&r, &a) || !expect(&r, ',') ||
        !read_i64(&r, &b) || !expect(&r, ']')) {
        return decode_error();
    }
    skip_space(&r);
    if (r.at != r.end || __builtin_add_overflow(a, b, &sum)) {
        return decode_error();
    }
    /* The sum as a JSON number. */
    u8 digits[24];
    u32 count = 0;
    u64 magnitude = sum < 0 ? 0 - (u64)sum : (u64)sum;
    do {
        digits[count++] = (u8)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    u32 out = 0;
    if (sum < 0) {
        output[out++] = '-';
    }
    while (count > 0) {
        output[out++] = digits[--count];
    }
    return publish(out, STATUS_OK);
}
