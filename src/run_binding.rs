//! The run binding from a job payload: the fields the 7.2.0 schema silently
//! dropped. Semantics follow the worker: `runId` only when it is a finite
//! number, here also a positive integer the gateway's JSON can carry exactly;
//! `runJobToken` only when a non-empty string.

use crate::types::RunBinding;
use alloc::format;
use alloc::string::{String, ToString};
use serde_json::Value;

/// Largest integer a JSON number (an IEEE double) holds exactly: 2^53 - 1.
pub const MAX_RUN_ID: u64 = (1 << 53) - 1;

fn run_id(value: Option<&Value>) -> Option<u64> {
    let n = value?.as_number()?;
    let id = match n.as_u64() {
        Some(i) => i,
        None => {
            let f = n.as_f64()?;
            if !(f.is_finite() && f >= 1.0 && f <= MAX_RUN_ID as f64 && f == (f as u64) as f64) {
                return None;
            }
            f as u64
        }
    };
    (1..=MAX_RUN_ID).contains(&id).then_some(id)
}

fn run_job_token(value: Option<&Value>) -> Option<String> {
    value?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(ToString::to_string)
}

/// `Some` when the payload carries both a valid `runId` and `runJobToken`.
pub fn from_payload(json: &str) -> Result<Option<RunBinding>, String> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| format!("job payload is not valid JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "job payload must be a JSON object".to_string())?;
    Ok(
        match (
            run_id(object.get("runId")),
            run_job_token(object.get("runJobToken")),
        ) {
            (Some(run_id), Some(token)) => Some(RunBinding { run_id, token }),
            _ => None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id_of(json: &str) -> Option<u64> {
        from_payload(json).unwrap().map(|b| b.run_id)
    }

    #[test]
    fn keeps_both_fields_and_ignores_the_rest() {
        let b = from_payload(
            r#"{"botId":"b","runId":42,"runJobToken":"tok","agentOptions":{"x":1},"future":[1,2]}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            b,
            RunBinding {
                run_id: 42,
                token: "tok".into()
            }
        );
    }

    #[test]
    fn run_id_must_be_a_positive_integer_number() {
        let with = |id: &str| format!(r#"{{"runId":{id},"runJobToken":"t"}}"#);
        assert_eq!(id_of(&with("42.0")), Some(42));
        assert_eq!(id_of(&with("1e3")), Some(1000));
        assert_eq!(id_of(&with("9007199254740991")), Some(MAX_RUN_ID));
        for bad in [
            "0",
            "-1",
            "1.5",
            "\"42\"",
            "null",
            "true",
            "9007199254740992",
            "1e300",
        ] {
            assert_eq!(id_of(&with(bad)), None, "{bad}");
        }
    }

    #[test]
    fn token_must_be_a_non_empty_string() {
        assert_eq!(id_of(r#"{"runId":1,"runJobToken":""}"#), None);
        assert_eq!(id_of(r#"{"runId":1,"runJobToken":7}"#), None);
        assert_eq!(id_of(r#"{"runId":1}"#), None);
        assert_eq!(id_of(r#"{"runJobToken":"t"}"#), None);
    }

    #[test]
    fn malformed_json_is_a_clear_error_without_content() {
        let e = from_payload(r#"{"runJobToken":"s3cret""#).unwrap_err();
        assert!(e.starts_with("job payload is not valid JSON"), "{e}");
        assert!(!e.contains("s3cret"));
        assert_eq!(
            from_payload("[1]").unwrap_err(),
            "job payload must be a JSON object"
        );
    }

    proptest! {
        #[test]
        fn total_on_any_text(s in ".{0,64}") {
            let _ = from_payload(&s);
        }

        #[test]
        fn any_valid_id_round_trips(id in 1u64..=MAX_RUN_ID, tok in "[a-zA-Z0-9._-]{1,20}") {
            let json = format!(r#"{{"runJobToken":"{tok}","runId":{id}}}"#);
            prop_assert_eq!(from_payload(&json).unwrap(), Some(RunBinding { run_id: id, token: tok }));
        }
    }
}
