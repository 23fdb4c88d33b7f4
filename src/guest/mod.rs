//! The thin layer over WASI: one module per capability (`http`, `fs`) and
//! one per operation. Compiled for every target so clippy and the type
//! checker see it; it only runs inside the component.

pub mod attempts;
pub mod clear;
pub mod deadline;
pub mod fs;
pub mod http;
pub mod hydrate;
pub mod prepare;
pub mod sidecar;
pub mod write;

// The component is no_std (std would import wasi:cli), so it brings its own
// allocator and panic handler. A panic aborts the instance: the host sees a
// trap, never a half-written file, since every file change is a rename.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
