//! Issue 14's comparison: for every size, the pre-instantiated Rust host's
//! full hydrate beside the hydrate that finds the file current (`304`) and
//! the full hydrate whose body the component checks against `repr-digest`.

use crate::cases::{Case, Client, Mode, Op, Variant};
use crate::orchestrate::Results;
use crate::report::{fmt_num, headline, headline_range, opt, size_label};
use std::fmt::Write;

/// The goal's yardstick: a full hydrate of the production p99 size.
const SMALL: u64 = 1300;

/// Below this, the difference of two medians is mostly noise, and dividing
/// it by a fraction of a MiB would magnify that noise into a rate.
const PER_MIB_FROM: u64 = 512 << 10;

fn case(variant: Variant) -> Case {
    Case {
        client: Client::Rust,
        mode: Mode::Warm,
        variant,
    }
}

fn median(r: &Results, size: u64, variant: Variant) -> Option<f64> {
    headline(r, size, Op::Hydrate, case(variant))
}

fn with_range(r: &Results, size: u64, variant: Variant) -> String {
    match headline_range(r, size, Op::Hydrate, case(variant)) {
        Some((m, lo, hi)) => format!("{} ({}–{})", fmt_num(m), fmt_num(lo), fmt_num(hi)),
        None => "—".into(),
    }
}

/// Sizes with an up-to-date row, in the run's order.
fn sizes(r: &Results) -> Vec<u64> {
    let mut sizes: Vec<u64> = r
        .outcomes
        .iter()
        .filter(|o| o.op == Op::Hydrate && o.case == case(Variant::UpToDate))
        .map(|o| o.size)
        .collect();
    sizes.dedup();
    sizes
}

/// The section of RESULTS.md: one line per size.
pub fn section(r: &Results) -> String {
    let small = median(r, SMALL, Variant::Full);
    let mut t = format!(
        "Rust wasmtime, pre-instantiated; median call ms (min–max). The yardstick is the full \
         1.3 KB hydrate above: {} ms.\n\n\
         | size | full hydrate | up-to-date (304) | up-to-date ÷ 1.3 KB full | up-to-date ≤ 1.3 KB full hydrate | repr-digest checked | hashing cost ms | hashing ms per MiB |\n\
         | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n",
        opt(small)
    );
    for size in sizes(r) {
        let up = median(r, size, Variant::UpToDate);
        let full = median(r, size, Variant::Full);
        let digest = median(r, size, Variant::Digest);
        let ratio = up.zip(small).map(|(u, s)| format!("{:.2}", u / s));
        let verdict = match up.zip(small) {
            Some((u, s)) if u <= s => "met",
            Some(_) => "**missed**",
            None => "not measured",
        };
        let cost = digest.zip(full).map(|(d, f)| d - f);
        let per_mib = cost
            .filter(|_| size >= PER_MIB_FROM)
            .map(|c| format!("{:.2}", c / (size as f64 / (1 << 20) as f64)));
        let _ = writeln!(
            t,
            "| {} | {} | {} | {} | {verdict} | {} | {} | {} |",
            size_label(size),
            with_range(r, size, Variant::Full),
            with_range(r, size, Variant::UpToDate),
            ratio.unwrap_or_else(|| "—".into()),
            with_range(r, size, Variant::Digest),
            cost.map_or("—".into(), |c| format!("{c:+.2}")),
            per_mib.unwrap_or_else(|| "—".into()),
        );
    }
    t.push_str(
        "\n*up-to-date*: the session file and its sidecar were made current by an untimed hydrate \
         in the same host, so the timed call sends `if-none-match` and gets `304` (checked: the \
         outcome is `up-to-date`, the file's inode, size and modification time unchanged). \
         *repr-digest checked*: a full hydrate whose `200` carries `repr-digest: sha-256=:…:`, \
         which the component hashes and compares before the rename. *hashing cost*: its median \
         minus the full hydrate's (both send an `etag` and write a sidecar); per MiB only from \
         512 KiB up, where it is larger than the noise.\n",
    );
    t
}

/// The target line: figures and verdict (met only when every size is).
pub fn target(r: &Results) -> (String, Option<bool>) {
    let small = median(r, SMALL, Variant::Full);
    let ups: Vec<(u64, Option<f64>)> = sizes(r)
        .into_iter()
        .map(|s| (s, median(r, s, Variant::UpToDate)))
        .collect();
    let list: Vec<String> = ups
        .iter()
        .map(|(s, u)| format!("{} {}", size_label(*s), opt(*u)))
        .collect();
    let figures = format!(
        "1.3 KB full hydrate {} ms; up-to-date: {} ms",
        opt(small),
        list.join(", ")
    );
    let ok = match small {
        Some(s) if !ups.is_empty() => ups
            .iter()
            .map(|(_, u)| u.map(|u| u <= s))
            .collect::<Option<Vec<bool>>>()
            .map(|v| v.into_iter().all(|x| x)),
        _ => None,
    };
    (figures, ok)
}
