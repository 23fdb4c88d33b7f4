//! The no_std guest still needs `memcmp` and friends; on wasm32-wasip2 they
//! come from the target's bundled wasi-libc. Linking the static archive pulls
//! in just those routines, which import nothing from WASI.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-lib=c");
    }
}
