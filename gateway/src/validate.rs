//! POST body validation, in exactly the contract's order: JSON · terminalStatus
//! · snapshotJsonl · size · runId. The token/run binding (403) comes after,
//! in the handler, because it needs the verified token.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest accepted snapshot: UTF-8 bytes of `snapshotJsonl`, not of the
/// JSON envelope (escaping can make the envelope much larger).
pub const MAX_SNAPSHOT_BYTES: usize = 4 * 1024 * 1024;

/// Largest accepted request body. Worst-case JSON escaping of a 4 MiB
/// snapshot (`\u0001` is 6 bytes per input byte) fits well under this.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Largest run id accepted from a JSON number with a fraction part or
/// exponent: beyond 2^53 a double no longer names one integer.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The contract's four terminal statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStatus {
    Completed,
    Failed,
    Timeout,
    Cancelled,
}

impl TerminalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "completed" => Some(Self::Completed),
            "failed" => Some(Self::Failed),
            "timeout" => Some(Self::Timeout),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A POST body that passed every body-level rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    pub terminal_status: TerminalStatus,
    pub snapshot_jsonl: String,
    pub run_id: i64,
}

/// Applies the contract's body rules in order; the first failure decides.
pub fn parse_write_request(body: &[u8]) -> Result<WriteRequest, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| ApiError::BadRequest("body is not valid JSON"))?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::BadRequest("body must be a JSON object"));
    };

    let terminal_status = fields
        .get("terminalStatus")
        .and_then(Value::as_str)
        .and_then(TerminalStatus::parse)
        .ok_or(ApiError::BadRequest(
            "terminalStatus must be one of completed, failed, timeout, cancelled",
        ))?;

    let snapshot_jsonl = take_snapshot(&mut fields)?;
    if snapshot_jsonl.len() > MAX_SNAPSHOT_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }

    let run_id = fields
        .get("runId")
        .and_then(positive_integer)
        .ok_or(ApiError::BadRequest("runId must be a positive integer"))?;

    Ok(WriteRequest {
        terminal_status,
        snapshot_jsonl,
        run_id,
    })
}

/// Moves the snapshot string out of the parsed body (it can be megabytes).
fn take_snapshot(fields: &mut Map<String, Value>) -> Result<String, ApiError> {
    match fields.remove("snapshotJsonl") {
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::BadRequest(
            "snapshotJsonl must be a non-empty string",
        )),
        // PostgreSQL text cannot hold NUL; refuse it on every backend alike
        // rather than storing it on SQLite and failing with 500 on PostgreSQL.
        Some(Value::String(s)) if s.contains('\0') => Err(ApiError::BadRequest(
            "snapshotJsonl must not contain NUL characters",
        )),
        Some(Value::String(s)) => Ok(s),
        _ => Err(ApiError::BadRequest(
            "snapshotJsonl must be a non-empty string",
        )),
    }
}

/// A positive, finite, integral JSON number that fits in a BIGINT.
fn positive_integer(value: &Value) -> Option<i64> {
    let number = value.as_number()?;
    if let Some(n) = number.as_i64() {
        return (n > 0).then_some(n);
    }
    if number.is_u64() {
        return None; // above i64::MAX: cannot be stored
    }
    // Written as a float (`7.0`, `7e0`): accept only exact small integers.
    let f = number.as_f64()?;
    let exact = f.is_finite() && f > 0.0 && f.fract() == 0.0 && f <= MAX_SAFE_INTEGER;
    // `as` is exact here: f is integral and within ±2^53.
    exact.then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<WriteRequest, ApiError> {
        parse_write_request(v.to_string().as_bytes())
    }

    fn ok_body() -> Value {
        json!({"terminalStatus": "completed", "snapshotJsonl": "{}\n", "runId": 3})
    }

    #[test]
    fn accepts_a_valid_body() {
        let req = parse(ok_body()).unwrap();
        assert_eq!(req.run_id, 3);
        assert_eq!(req.terminal_status, TerminalStatus::Completed);
    }

    #[test]
    fn first_failing_rule_decides() {
        // Bad status and bad runId together: status is checked first (400),
        // and an oversize snapshot with a bad runId answers 413.
        let big = "x".repeat(MAX_SNAPSHOT_BYTES + 1);
        let body = json!({"terminalStatus": "completed", "snapshotJsonl": big, "runId": -1});
        assert!(matches!(parse(body), Err(ApiError::PayloadTooLarge)));
        let body = json!({"terminalStatus": "nope", "snapshotJsonl": "", "runId": -1});
        assert!(
            matches!(parse(body), Err(ApiError::BadRequest(m)) if m.contains("terminalStatus"))
        );
    }

    #[test]
    fn size_counts_utf8_bytes_not_chars() {
        let exactly = "é".repeat(MAX_SNAPSHOT_BYTES / 2);
        let mut body = ok_body();
        body["snapshotJsonl"] = json!(exactly);
        assert!(parse(body.clone()).is_ok());
        body["snapshotJsonl"] = json!(format!("{exactly}x"));
        assert!(matches!(parse(body), Err(ApiError::PayloadTooLarge)));
    }

    #[test]
    fn run_id_forms() {
        for (run_id, expected) in [
            (json!(5), Some(5)),
            (json!(5.0), Some(5)),
            (json!(0), None),
            (json!(-2), None),
            (json!(1.5), None),
            (json!("5"), None),
            (json!(null), None),
            (json!(u64::MAX), None),
            (json!(1e300), None),
        ] {
            let mut body = ok_body();
            body["runId"] = run_id.clone();
            assert_eq!(parse(body).ok().map(|r| r.run_id), expected, "{run_id}");
        }
    }

    #[test]
    fn non_object_and_nul_are_rejected() {
        assert!(parse(json!([1])).is_err());
        let mut body = ok_body();
        body["snapshotJsonl"] = json!("a\u{0}b");
        assert!(matches!(parse(body), Err(ApiError::BadRequest(_))));
    }
}
