//! Names of `hydrate`'s staging files, and when one left behind is stale.
//!
//! Each call stages into its own file, `.<name>.hydrate-tmp.<timeout-ms>.<16
//! hex>`, created exclusively, so concurrent hydrates of one session file never
//! write into the same file. The name carries the writing call's own deadline
//! (`timeout-ms`) because that is what bounds how long a live call can leave its
//! file unmodified: it writes each chunk as it arrives and gives up when its
//! deadline fires. Another call may remove the file only once it has not been
//! modified for that long plus [`STALE_MARGIN_MS`], so a file a live call is
//! writing is never removed, while a crashed call's leftover goes soon after
//! its deadline (30 s by default) instead of after the longest deadline any
//! call could ask for (`u32::MAX` ms, about 50 days).
//!
//! Versions before this one staged into `.<name>.hydrate-tmp`, one name for
//! every call (see [`Temp::Legacy`]).

use alloc::format;
use alloc::string::String;

/// What follows `.<name>` in every staging file's name.
const SUFFIX: &str = ".hydrate-tmp";

/// Added to a staging file's own deadline before it counts as stale. A live
/// call can leave its file unmodified past its deadline while it syncs and
/// renames it (seconds for 64 MiB on a slow disk), and the wall clock that
/// stamps modification times can step (NTP). An hour covers both with room;
/// a crash leftover waits that much longer to go, which costs only disk.
pub const STALE_MARGIN_MS: u64 = 60 * 60 * 1000;

/// The staging file name of a call with deadline `timeout_ms` and a random tag.
pub fn temp_name(file_name: &str, timeout_ms: u32, random: u64) -> String {
    format!(".{file_name}{SUFFIX}.{timeout_ms}.{random:016x}")
}

/// A file beside the session file that some hydrate staged into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    /// `.<name>.hydrate-tmp`, from a version before per-call names. Removed
    /// whatever its age: those versions truncated one another's copy, so
    /// waiting protects no live writer of it (one that loses it fails its
    /// rename and keeps the session file), and a crash leftover is up to
    /// 64 MiB of disk.
    Legacy,
    /// A per-call staging file whose call had this deadline.
    Call { timeout_ms: u32 },
    /// A sidecar being replaced (see [`sidecar_temp_name`]): written and
    /// renamed at once, so one left behind is a crash's.
    Sidecar,
}

/// What follows `.<name>` in a sidecar's temporary name.
const SIDECAR_SUFFIX: &str = ".snapshot-version.tmp.";

/// The temporary name a new sidecar of `file_name` is written under.
pub fn sidecar_temp_name(file_name: &str, random: u64) -> String {
    format!(".{file_name}{SIDECAR_SUFFIX}{random:016x}")
}

/// Whether `entry` (a name in the session file's directory) is a staging file
/// of `file_name`, and which kind. Anything else is not ours and is left alone.
pub fn classify(file_name: &str, entry: &str) -> Option<Temp> {
    let ours = entry.strip_prefix('.')?.strip_prefix(file_name)?;
    if let Some(tag) = ours.strip_prefix(SIDECAR_SUFFIX) {
        return (tag.len() == 16 && is_all(tag, b"0123456789abcdef")).then_some(Temp::Sidecar);
    }
    let rest = ours.strip_prefix(SUFFIX)?;
    if rest.is_empty() {
        return Some(Temp::Legacy);
    }
    let (timeout, tag) = rest.strip_prefix('.')?.split_once('.')?;
    let decimal = !timeout.is_empty() && timeout.len() <= 10 && is_all(timeout, b"0123456789");
    let hex = tag.len() == 16 && is_all(tag, b"0123456789abcdef");
    if !decimal || !hex {
        return None;
    }
    let timeout_ms = timeout.parse().ok()?;
    Some(Temp::Call { timeout_ms })
}

fn is_all(s: &str, allowed: &[u8]) -> bool {
    s.bytes().all(|b| allowed.contains(&b))
}

/// A wall-clock time as wasi:filesystem and wasi:clocks give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    pub seconds: u64,
    pub nanoseconds: u32,
}

impl Time {
    fn ms(self) -> u64 {
        self.seconds
            .saturating_mul(1000)
            .saturating_add(u64::from(self.nanoseconds / 1_000_000))
    }
}

/// Whether a staging file of kind `temp`, last modified at `modified`, may be
/// removed at `now`. A modification time in the future (a clock stepped back)
/// is never stale.
pub fn is_stale(temp: Temp, modified: Time, now: Time) -> bool {
    match temp {
        Temp::Legacy => true,
        Temp::Sidecar => now.ms().saturating_sub(modified.ms()) > STALE_MARGIN_MS,
        Temp::Call { timeout_ms } => {
            let bound = u64::from(timeout_ms).saturating_add(STALE_MARGIN_MS);
            now.ms().saturating_sub(modified.ms()) > bound
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(seconds: u64) -> Time {
        Time {
            seconds,
            nanoseconds: 0,
        }
    }

    #[test]
    fn names_carry_the_deadline_and_a_fixed_width_tag() {
        assert_eq!(
            temp_name("session.jsonl", 30_000, 0xab),
            ".session.jsonl.hydrate-tmp.30000.00000000000000ab"
        );
        assert_eq!(
            classify(
                "session.jsonl",
                ".session.jsonl.hydrate-tmp.30000.00000000000000ab"
            ),
            Some(Temp::Call { timeout_ms: 30_000 })
        );
    }

    #[test]
    fn the_legacy_name_is_recognised() {
        assert_eq!(
            classify("s.jsonl", ".s.jsonl.hydrate-tmp"),
            Some(Temp::Legacy)
        );
    }

    #[test]
    fn a_sidecar_being_replaced_is_recognised_and_goes_after_the_margin() {
        let name = sidecar_temp_name("s.jsonl", 0xab);
        assert_eq!(name, ".s.jsonl.snapshot-version.tmp.00000000000000ab");
        assert_eq!(classify("s.jsonl", &name), Some(Temp::Sidecar));
        let margin = STALE_MARGIN_MS / 1000;
        assert!(!is_stale(Temp::Sidecar, at(1_000), at(1_000 + margin)));
        assert!(is_stale(Temp::Sidecar, at(1_000), at(1_001 + margin)));
    }

    #[test]
    fn other_names_are_not_ours() {
        for other in [
            "s.jsonl",
            ".s.jsonl",
            ".s.jsonl.snapshot-version",
            ".s.jsonl.snapshot-version.tmp.00000000000000a",
            ".s.jsonl.hydrate-tmp.",
            ".s.jsonl.hydrate-tmp.30000",
            ".s.jsonl.hydrate-tmp.30000.",
            ".s.jsonl.hydrate-tmp.30000.00000000000000a",
            ".s.jsonl.hydrate-tmp.30000.00000000000000AB",
            ".s.jsonl.hydrate-tmp.30000.00000000000000abc",
            ".s.jsonl.hydrate-tmp.+3.00000000000000ab",
            ".s.jsonl.hydrate-tmp.4294967296.00000000000000ab",
            ".s.jsonl.hydrate-tmp.30000.00000000000000ab.x",
            ".t.jsonl.hydrate-tmp",
            ".s.jsonl.hydrate-tmpx",
            ".s.jsonl.x.hydrate-tmp",
        ] {
            assert_eq!(classify("s.jsonl", other), None, "{other}");
        }
        // Another session file's staging file is not this one's.
        assert_eq!(classify("s", ".s.jsonl.hydrate-tmp"), None);
    }

    #[test]
    fn a_call_file_is_stale_only_past_its_deadline_and_the_margin() {
        let temp = Temp::Call { timeout_ms: 30_000 };
        let bound_s = 30 + STALE_MARGIN_MS / 1000;
        assert!(!is_stale(temp, at(1_000), at(1_000)));
        assert!(!is_stale(temp, at(1_000), at(1_000 + bound_s)));
        assert!(is_stale(temp, at(1_000), at(1_000 + bound_s + 1)));
        // Modified "in the future": the clock stepped back; keep it.
        assert!(!is_stale(temp, at(5_000), at(1_000)));
        // The longest deadline a call can have.
        let longest = Temp::Call {
            timeout_ms: u32::MAX,
        };
        assert!(!is_stale(longest, at(0), at(u64::from(u32::MAX) / 1000)));
        assert!(is_stale(
            longest,
            at(0),
            at(u64::from(u32::MAX) / 1000 + 3_601)
        ));
    }

    #[test]
    fn legacy_files_are_always_stale() {
        assert!(is_stale(Temp::Legacy, at(1_000), at(1_000)));
    }

    proptest! {
        #[test]
        fn every_name_made_is_recognised(name in "[a-z.]{1,12}", timeout in any::<u32>(), random in any::<u64>()) {
            let made = temp_name(&name, timeout, random);
            prop_assert_eq!(classify(&name, &made), Some(Temp::Call { timeout_ms: timeout }));
        }

        #[test]
        fn classify_never_panics(name in "[a-z.]{0,8}", entry in "[.a-z0-9-]{0,48}") {
            let _ = classify(&name, &entry);
        }

        #[test]
        fn stale_is_monotonic_in_now(timeout in any::<u32>(), m in any::<u64>(), d1 in any::<u32>(), d2 in any::<u32>()) {
            let temp = Temp::Call { timeout_ms: timeout };
            let m = m / 4;
            let (a, b) = (m.saturating_add(u64::from(d1.min(d2))), m.saturating_add(u64::from(d1.max(d2))));
            if is_stale(temp, at(m), at(a)) {
                prop_assert!(is_stale(temp, at(m), at(b)));
            }
        }
    }
}
