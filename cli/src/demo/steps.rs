//! The conversation the demo walks, step by step, each with the outcome it
//! expects.

use super::walk::{Pod, Walk};
use crate::exit::CliError;
use transcript_snapshot_host::{
    ClearOutcome, HydrateOutcome, SkipReason, TerminalStatus, WriteOutcome,
};

fn is<T: PartialEq>(want: T) -> impl Fn(&T) -> bool {
    move |got| *got == want
}

fn stored(o: &WriteOutcome) -> bool {
    matches!(o, WriteOutcome::Stored(_))
}

fn hydrated(o: &HydrateOutcome) -> bool {
    matches!(o, HydrateOutcome::Hydrated(h) if h.bytes > 0)
}

fn no_snapshot(o: &HydrateOutcome) -> bool {
    matches!(o, HydrateOutcome::NoSnapshot(_))
}

/// Walks the conversation from its first turn to its reset.
pub async fn walk(w: &mut Walk<'_>, pod_a: &Pod, pod_b: &Pod) -> Result<(), CliError> {
    w.hydrate(pod_a, "hydrate (first turn)", "no snapshot", no_snapshot)
        .await?;
    pod_a.append_turn(1, "hello from run 1")?;
    let completed = TerminalStatus::Completed;
    w.write(
        pod_a,
        1,
        completed,
        "run 1 completed: write",
        "stored",
        stored,
    )
    .await?;
    w.hydrate(pod_b, "hydrate (conversation moved)", "hydrated", hydrated)
        .await?;
    w.same_bytes(pod_a, pod_b);
    pod_b.append_turn(2, "run 2 continues on pod B")?;
    w.write(
        pod_b,
        2,
        completed,
        "run 2 completed: write",
        "stored",
        stored,
    )
    .await?;
    w.write(
        pod_a,
        1,
        completed,
        "late retry of run 1's write",
        "duplicate",
        |o: &WriteOutcome| matches!(o, WriteOutcome::Duplicate(_)),
    )
    .await?;
    let after_run_2 = pod_b.sha256();
    pod_b.append_turn(3, "run 3 crashes midway")?;
    w.write(
        pod_b,
        3,
        TerminalStatus::Failed,
        "run 3 failed: write",
        "skipped, nothing sent",
        is(WriteOutcome::Skipped(SkipReason::NotCompleted)),
    )
    .await?;
    w.hydrate(pod_a, "hydrate (run 2's snapshot)", "hydrated", hydrated)
        .await?;
    w.check(
        "pod-A now holds run 2's transcript",
        pod_a.sha256() == after_run_2,
    );

    // Pod A holds the latest version already: the gateway answers 304 and
    // the file is neither downloaded again nor rewritten.
    let before = pod_a.state();
    w.hydrate(
        pod_a,
        "hydrate (already current)",
        "up to date",
        |o: &HydrateOutcome| matches!(o, HydrateOutcome::UpToDate(_)),
    )
    .await?;
    w.check("pod-A's session file untouched", pod_a.state() == before);

    // A fork: both pods start from run 2's version (pod B drops its crashed
    // run 3 turn by hydrating), both continue. The first write wins; the
    // second names a version that is no longer the latest.
    w.hydrate(pod_b, "hydrate (run 2's snapshot)", "hydrated", hydrated)
        .await?;
    w.same_bytes(pod_a, pod_b);
    pod_a.append_turn(4, "run 4 continues on pod A")?;
    pod_b.append_turn(5, "run 5 forks on pod B")?;
    w.write(
        pod_a,
        4,
        completed,
        "run 4 completed: write",
        "stored",
        stored,
    )
    .await?;
    let forked = pod_b.state();
    w.write(
        pod_b,
        5,
        completed,
        "run 5 (forked) completed: write",
        "diverged, latest run 4",
        |o: &WriteOutcome| matches!(o, WriteOutcome::Diverged(d) if d.latest_run_id == Some(4)),
    )
    .await?;
    w.check("pod-B's session file untouched", pod_b.state() == forked);
    // Run 5 would be the latest had it been stored (the highest run id).
    w.hydrate(pod_b, "hydrate (after the fork)", "hydrated", hydrated)
        .await?;
    w.check(
        "pod-B now holds run 4's transcript, run 5 was not stored",
        pod_b.sha256() == pod_a.sha256(),
    );

    w.clear(
        pod_b,
        "cleared, 3 deleted",
        |o| matches!(o, ClearOutcome::Cleared(c) if c.deleted == Some(3)),
    )
    .await?;
    w.hydrate(pod_a, "hydrate after reset", "no snapshot", no_snapshot)
        .await?;
    w.hydrate(pod_b, "hydrate after reset", "no snapshot", no_snapshot)
        .await
}
