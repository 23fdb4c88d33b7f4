//! Bindings generated from `wit/`. WASI imports are mapped onto the `wasi`
//! crate so there is one set of WASI types in the component.
#![allow(unsafe_code, clippy::all)]

wit_bindgen::generate!({
    path: "wit",
    world: "snapshot-client",
    with: {
        "wasi:http/types@0.2.12": wasi::http::types,
        "wasi:http/outgoing-handler@0.2.12": wasi::http::outgoing_handler,
        "wasi:filesystem/types@0.2.12": wasi::filesystem::types,
        "wasi:filesystem/preopens@0.2.12": wasi::filesystem::preopens,
        "wasi:io/poll@0.2.12": wasi::io::poll,
        "wasi:io/streams@0.2.12": wasi::io::streams,
        "wasi:io/error@0.2.12": wasi::io::error,
        "wasi:clocks/monotonic-clock@0.2.12": wasi::clocks::monotonic_clock,
        "wasi:clocks/wall-clock@0.2.12": wasi::clocks::wall_clock,
        "wasi:random/insecure@0.2.12": wasi::random::insecure,
    },
    additional_derives: [PartialEq, Eq],
    pub_export_macro: false,
});

/// The canonical ABI's allocator entry point. std exports it on wasm32-wasip2;
/// this no_std component must export its own, backed by the global allocator.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{alloc, realloc, Layout};
    if new_len == 0 {
        return align as *mut u8;
    }
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}
