//! Runs one conformance case through the wasmtime host.

use crate::bindings::{Options, RunBinding, TerminalStatus};
use crate::cases::{Call, Case};
use crate::host::{Harness, Workspace};
use crate::mock_gateway::MockGateway;
use crate::verdict;
use serde_json::Value;
use std::collections::BTreeMap;
use transcript_snapshot_host::json as outcome_json;

/// Options from a case's kebab-case map. Unknown names fail the case.
pub fn options(map: &BTreeMap<String, Value>) -> Result<Options, String> {
    let mut o = crate::host::options();
    for (k, value) in map {
        if k == "use-validators" {
            o.use_validators = Some(value.as_bool().ok_or(format!("{k} must be a boolean"))?);
            continue;
        }
        let v = value
            .as_u64()
            .ok_or(format!("{k} must be a whole number"))?;
        let small = || u32::try_from(v).map_err(|_| format!("{k} too large"));
        match k.as_str() {
            "timeout-ms" => o.timeout_ms = Some(small()?),
            "connect-timeout-ms" => o.connect_timeout_ms = Some(small()?),
            "first-byte-timeout-ms" => o.first_byte_timeout_ms = Some(small()?),
            "between-bytes-timeout-ms" => o.between_bytes_timeout_ms = Some(small()?),
            "max-write-bytes" => o.max_write_bytes = Some(v),
            "max-hydrate-bytes" => o.max_hydrate_bytes = Some(v),
            "max-attempts" => o.max_attempts = Some(small()?),
            "retry-base-ms" => o.retry_base_ms = Some(small()?),
            "retry-cap-ms" => o.retry_cap_ms = Some(small()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

pub fn status(s: &str) -> Result<TerminalStatus, String> {
    Ok(match s {
        "completed" => TerminalStatus::Completed,
        "failed" => TerminalStatus::Failed,
        "timeout" => TerminalStatus::Timeout,
        "cancelled" => TerminalStatus::Cancelled,
        other => return Err(format!("unknown status {other}")),
    })
}

async fn call(
    h: &Harness,
    case: &Case,
    sandbox: &Workspace,
    gw: &MockGateway,
) -> Result<Value, String> {
    let url = |t: &str| verdict::url(t, &gw.url, &gw.closed_url);
    let err = |e: wasmtime::Error| format!("trap: {e:?}");
    Ok(match &case.call {
        Call::Hydrate {
            url: u,
            token,
            session_file,
            options: o,
        } => outcome_json::hydrate(
            &h.hydrate(sandbox, &url(u), token, session_file, options(o)?)
                .await
                .map_err(err)?
                .outcome,
        ),
        Call::Write {
            url: u,
            run,
            session_file,
            status: s,
            options: o,
        } => {
            let run = run.as_ref().map(|r| RunBinding {
                run_id: r.run_id,
                token: r.token.clone(),
            });
            outcome_json::write(
                &h.write(sandbox, &url(u), run, session_file, status(s)?, options(o)?)
                    .await
                    .map_err(err)?
                    .outcome,
            )
        }
        Call::Clear {
            url: u,
            token,
            options: o,
        } => outcome_json::clear(
            &h.clear(sandbox, &url(u), token, options(o)?)
                .await
                .map_err(err)?
                .outcome,
        ),
        Call::RunBindingFromPayload { payload } => {
            outcome_json::run_binding(&h.run_binding(payload).await.map_err(err)?)
        }
    })
}

/// Every problem with the case on wasmtime; empty when it passes.
pub async fn run(h: &Harness, case: &Case) -> Vec<String> {
    let sandbox = Workspace::new();
    verdict::prepare(case, sandbox.root());
    let gw = MockGateway::start(case.gateway.clone()).await;
    let outcome = match call(h, case, &sandbox, &gw).await {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let mut problems = verdict::check_outcome(case, &outcome);
    problems.extend(verdict::check_after(case, sandbox.root()));
    problems.extend(verdict::check_requests(case, &gw.requests()));
    problems
}
