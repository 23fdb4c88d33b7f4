//! What `--help` promises: every flag described, each subcommand offering only
//! the flags it reads, the exit codes listed (and the README listing the same),
//! and a warning on every token flag.

use std::process::{Command, Output};

const SUBCOMMANDS: [&str; 5] = ["hydrate", "write", "clear", "run-binding", "demo"];
const GLOBAL: [&str; 5] = [
    "--component",
    "--cache-dir",
    "--json",
    "--verbose",
    "--help",
];
const CALL: [&str; 7] = [
    "--timeout-ms",
    "--connect-timeout-ms",
    "--first-byte-timeout-ms",
    "--between-bytes-timeout-ms",
    "--max-attempts",
    "--retry-base-ms",
    "--retry-cap-ms",
];

/// The binary with nothing from the caller's environment that it reads.
fn cli(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_transcript-snapshot"));
    for var in [
        "TRANSCRIPT_SNAPSHOT_WASM",
        "TRANSCRIPT_SNAPSHOT_GATEWAY_URL",
        "TRANSCRIPT_SNAPSHOT_TOKEN",
        "TRANSCRIPT_SNAPSHOT_RUN_ID",
        "TRANSCRIPT_SNAPSHOT_RUN_TOKEN",
        "SNAPSHOT_GATEWAY_SECRET",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args).output().expect("run the CLI")
}

fn help(subcommand: Option<&str>) -> String {
    let args: Vec<&str> = subcommand.into_iter().chain(["--help"]).collect();
    let out = cli(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 help")
}

/// The `Options:` lines of a help text: (long flag, its description).
fn options(help: &str) -> Vec<(String, String)> {
    let section = help
        .split_once("\nOptions:\n")
        .map(|(_, rest)| rest.split("\n\n").next().unwrap_or(""))
        .expect("an Options section");
    let lines: Vec<&str> = section.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        // One line (`--flag <V>  text`) or two (`--flag <V>` then the text indented).
        let (spec, text) = match line.split_once("  ") {
            Some((spec, text)) => (spec, text.trim().to_string()),
            None => {
                let next = lines.get(i + 1).map_or("", |n| n.trim());
                let text = if next.starts_with('-') { "" } else { next };
                (line, text.to_string())
            }
        };
        let long = spec
            .split([' ', ','])
            .find(|w| w.starts_with("--"))
            .unwrap_or(spec)
            .trim_end_matches("...")
            .to_string();
        found.push((long, text));
    }
    found
}

fn longs(help: &str) -> Vec<String> {
    let mut flags: Vec<String> = options(help).into_iter().map(|(flag, _)| flag).collect();
    flags.sort();
    flags
}

fn expected(own: &[&str], call: bool) -> Vec<String> {
    let mut flags: Vec<String> = GLOBAL.iter().chain(own).map(|f| f.to_string()).collect();
    if call {
        flags.extend(CALL.iter().map(|f| f.to_string()));
    }
    flags.sort();
    flags
}

#[test]
fn every_flag_has_help_text() {
    for sub in std::iter::once(None).chain(SUBCOMMANDS.map(Some)) {
        let text = help(sub);
        let found = options(&text);
        assert!(found.len() > 3, "{sub:?}: no options parsed from {text}");
        for (flag, description) in found {
            // clap's own `[env: …]`, `[default: …]` and the like are no description.
            let words = description.split('[').next().unwrap_or("").trim();
            assert!(
                !words.is_empty(),
                "{sub:?}: {flag} has no help text: {text}"
            );
        }
    }
}

#[test]
fn each_subcommand_offers_only_the_flags_it_reads() {
    let token = ["--gateway-url", "--token", "--token-file"];
    let hydrate = [
        &token[..],
        &["--session-file", "--max-hydrate-bytes", "--no-validators"],
    ]
    .concat();
    let write = [
        "--gateway-url",
        "--run-id",
        "--run-token",
        "--run-token-file",
        "--session-file",
        "--status",
        "--max-write-bytes",
        "--no-validators",
    ];
    let demo = ["--database", "--replicas", "--gateway-url", "--secret"];
    assert_eq!(longs(&help(Some("hydrate"))), expected(&hydrate, true));
    assert_eq!(longs(&help(Some("write"))), expected(&write, true));
    assert_eq!(longs(&help(Some("clear"))), expected(&token, true));
    assert_eq!(
        longs(&help(Some("run-binding"))),
        expected(&["--payload"], false)
    );
    assert_eq!(longs(&help(Some("demo"))), expected(&demo, false));

    // Offered nowhere else, so refused as usage errors (exit 2) before anything runs.
    for args in [
        &["hydrate", "--session-file", "s", "--max-write-bytes", "1"][..],
        &["clear", "--max-write-bytes", "1"],
        &["clear", "--max-hydrate-bytes", "1"],
        &[
            "clear",
            "--gateway-url",
            "http://127.0.0.1:1",
            "--token-file",
            "t",
            "--no-validators",
        ],
        &[
            "write",
            "--session-file",
            "s",
            "--status",
            "completed",
            "--max-hydrate-bytes",
            "1",
        ],
        &["run-binding", "--timeout-ms", "1"],
        &["--json", "demo"],
    ] {
        let out = cli(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
}

/// The `Exit codes:` block at the end of a help text.
fn exit_codes(help: &str) -> &str {
    let start = help.find("Exit codes:").expect("an Exit codes section");
    help[start..].trim_end()
}

#[test]
fn the_exit_codes_are_in_every_help_and_in_the_readme() {
    let top = help(None);
    let block = exit_codes(&top);
    for code in ["0", "1", "2", "3", "4", "5"] {
        assert!(
            block.contains(&format!("\n  {code}  ")),
            "exit {code} not listed: {block}"
        );
    }
    for sub in SUBCOMMANDS {
        assert_eq!(exit_codes(&help(Some(sub))), block, "{sub}");
    }
    let readme = std::fs::read_to_string(host_tests::build::workspace_root().join("README.md"))
        .expect("README.md");
    let start = readme
        .rfind("### Command line")
        .expect("a Command line section");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    assert!(
        section.contains(block),
        "the README's Command line section does not list the exit codes as --help does:\n{block}"
    );
}

#[test]
fn every_token_flag_warns_that_ps_shows_it() {
    for (sub, flag, safer) in [
        ("hydrate", "--token", "--token-file"),
        ("clear", "--token", "--token-file"),
        ("write", "--run-token", "--run-token-file"),
        ("run-binding", "--payload", "stdin"),
        ("demo", "--secret", "SNAPSHOT_GATEWAY_SECRET"),
    ] {
        let text = help(Some(sub));
        let (_, description) = options(&text)
            .into_iter()
            .find(|(f, _)| f == flag)
            .unwrap_or_else(|| panic!("{sub}: no {flag}"));
        assert!(
            description.contains("`ps`") && description.contains(safer),
            "{sub} {flag}: {description}"
        );
    }
}

#[test]
fn the_help_parser_sees_a_flag_without_text_in_both_layouts() {
    let one_line = "x\n\nOptions:\n      --a <A>  Text\n      --b <B>\n  -h, --help  Print help\n\nExit codes:\n";
    let two_lines = "x\n\nOptions:\n      --a <A>\n          Text\n      --b <B>\n      --c <C>\n          [env: C=]\n";
    assert_eq!(
        options(one_line),
        [("--a", "Text"), ("--b", ""), ("--help", "Print help")].map(|(f, t)| (f.into(), t.into()))
    );
    assert_eq!(
        options(two_lines),
        [("--a", "Text"), ("--b", ""), ("--c", "[env: C=]")].map(|(f, t)| (f.into(), t.into()))
    );
}
