//! Least authority: the built component imports only what it uses. A std
//! build would pull in the wasi:cli family; sockets are never needed.

use wasmparser::{Parser, Payload};

const ALLOWED: &[&str] = &[
    "wasi:http/types",
    "wasi:http/outgoing-handler",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:io/error",
    "wasi:clocks/monotonic-clock",
    // Jitter for retry backoff.
    "wasi:random/insecure",
    // The time now, to tell a stale staging file by its modification time.
    "wasi:clocks/wall-clock",
];

/// Names the component itself imports (not those of its inner core modules).
fn top_level_imports(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.expect("valid component") {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth -= 1,
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    names.push(import.expect("import").name.name.to_string());
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn imports_only_http_filesystem_io_and_clocks() {
    let bytes = std::fs::read(host_tests::build::component_path()).expect("component");
    let imports = top_level_imports(&bytes);
    assert!(
        !imports.is_empty(),
        "no imports found: the parser walked the wrong level"
    );
    for name in &imports {
        let interface = name.split('@').next().unwrap_or(name);
        assert!(ALLOWED.contains(&interface), "unexpected import {name}");
        assert!(
            !name.starts_with("wasi:cli/") && !name.starts_with("wasi:sockets/"),
            "{name}"
        );
    }
    for needed in ["wasi:http/outgoing-handler", "wasi:filesystem/preopens"] {
        assert!(
            imports.iter().any(|i| i.starts_with(needed)),
            "{needed} missing from {imports:?}"
        );
    }
    println!("component imports: {imports:?}");
}
