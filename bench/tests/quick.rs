//! `snapshot-bench --quick` runs end to end and writes its table: the smoke
//! test that keeps the benchmark working as the hosts change.

use std::process::Command;

#[test]
fn quick_run_writes_the_table() {
    let out = std::env::temp_dir().join(format!("snapshot-bench-quick-{}.md", std::process::id()));
    // Captured, so the report is not printed into the test log.
    let run = Command::new(env!("CARGO_BIN_EXE_snapshot-bench"))
        .arg("--quick")
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run snapshot-bench");
    assert!(
        run.status.success(),
        "snapshot-bench --quick failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let doc = std::fs::read_to_string(&out).expect("the report was written");
    let _ = std::fs::remove_file(&out);
    assert!(
        doc.contains("| size | op | client | median ms |"),
        "no table:\n{doc}"
    );
    // The clients this crate controls must have produced numbers; Node and
    // Python may be reported "not available" (their packages are optional).
    for row in [
        "| 1.3 KB | hydrate | curl |",
        "| 1.3 KB | hydrate | Rust wasmtime, pre-instantiated |",
        "| 1.3 KB | hydrate | Rust wasmtime, pre-instantiated, up-to-date (304) |",
        "| 64 KiB | hydrate | Rust wasmtime, pre-instantiated, repr-digest checked |",
        "| 64 KiB | write | Rust wasmtime, cold process |",
    ] {
        let line = doc
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no row {row}:\n{doc}"));
        assert!(!line.contains("not available"), "{line}");
    }
    assert!(
        doc.contains("| component ≤ 192 KiB (with snapshot versions) |"),
        "no targets:\n{doc}"
    );
}
