//! `snapshot-bench load --quick` runs end to end: a real gateway process on
//! SQLite, a few workers through the Rust host crate and the plain HTTP
//! client, and the section written into a results file that already holds
//! other sections (which must survive). No figure is checked but the error
//! counts: they must be zero.

use std::process::Command;

#[test]
fn quick_load_run_writes_its_section_with_no_errors() {
    let out = std::env::temp_dir().join(format!("snapshot-bench-load-{}.md", std::process::id()));
    let before = "# results\n\n## Results\n\nmain table\n\n## Warm calls on Node and Bun\n\nwarm\n";
    std::fs::write(&out, before).unwrap();
    // Captured, so the report is not printed into the test log.
    let run = Command::new(env!("CARGO_BIN_EXE_snapshot-bench"))
        .args(["load", "--quick", "--results"])
        .arg(&out)
        .output()
        .expect("run snapshot-bench load");
    let doc = std::fs::read_to_string(&out).expect("the results file is there");
    let _ = std::fs::remove_file(&out);
    assert!(
        run.status.success(),
        "snapshot-bench load --quick failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        doc.starts_with(before),
        "other sections were changed:\n{doc}"
    );
    assert!(doc.contains("## Gateway under load"), "no section:\n{doc}");
    let rows: Vec<&str> = doc
        .lines()
        .filter(|l| l.starts_with("| 1.3 KB |") || l.starts_with("| 633 KiB |"))
        .collect();
    // 2 sizes × 1 worker count × SQLite × 2 clients.
    assert_eq!(rows.len(), 4, "rows:\n{doc}");
    for client in ["| Rust host crate |", "| plain HTTP |"] {
        assert!(
            rows.iter().any(|r| r.contains(client)),
            "no {client} row:\n{doc}"
        );
    }
    for row in &rows {
        // The errors column, ninth of the table.
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[9], "0", "errors in {row}");
        assert_ne!(cells[5], "0.00", "no iteration completed: {row}");
    }
}
