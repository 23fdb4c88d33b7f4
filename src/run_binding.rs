//! The run binding from a job payload: the fields the 7.2.0 schema silently
//! dropped. Semantics follow the worker: `runId` only when it is a number
//! (here also a positive integer that a JSON number holds exactly, computed
//! exactly in decimal, so `42.0` and `4.2e1` are 42); `runJobToken` only when
//! a non-empty string. As with `JSON.parse`, a field given twice counts with
//! its last value; every other field is ignored.

use crate::json_reader::{self, JsonError, Value};
use crate::types::RunBinding;
use alloc::format;
use alloc::string::{String, ToString};

/// Largest integer a JSON number (an IEEE double) holds exactly: 2^53 - 1.
pub const MAX_RUN_ID: u64 = (1 << 53) - 1;

/// `Some` when the payload carries both a valid `runId` and `runJobToken`.
pub fn from_payload(json: &str) -> Result<Option<RunBinding>, String> {
    let members = json_reader::object(json).map_err(|e| match e {
        JsonError::NotObject => "job payload must be a JSON object".to_string(),
        // The offset only: the text around it could be a secret.
        JsonError::Syntax(at) => format!("job payload is not valid JSON (at byte {at})"),
    })?;
    let run_id = match json_reader::last(&members, "runId") {
        Some(Value::Num(n)) => json_reader::whole_number(n, MAX_RUN_ID).filter(|&id| id > 0),
        _ => None,
    };
    let token = match json_reader::last(&members, "runJobToken") {
        Some(Value::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    Ok(run_id
        .zip(token)
        .map(|(run_id, token)| RunBinding { run_id, token }))
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
            r#"{"botId":"b","runId":42,"runJobToken":"tok","agentOptions":{"x":[1,{"y":null}]},"future":[1,2]}"#,
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
            "[1]",
            "{\"a\":1}",
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
        assert_eq!(id_of(r#"{"runId":1,"runJobToken":{"t":"x"}}"#), None);
        assert_eq!(id_of(r#"{"runId":1}"#), None);
        assert_eq!(id_of(r#"{"runJobToken":"t"}"#), None);
    }

    #[test]
    fn the_last_of_a_repeated_field_counts_as_in_javascript() {
        assert_eq!(id_of(r#"{"runId":1,"runJobToken":"t","runId":2}"#), Some(2));
        assert_eq!(id_of(r#"{"runId":1,"runJobToken":"t","runId":"x"}"#), None);
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
        assert_eq!(
            from_payload("\"s3cret\"").unwrap_err(),
            "job payload must be a JSON object"
        );
        assert!(from_payload(r#"{"runId":1} trailing"#)
            .unwrap_err()
            .contains("not valid JSON"));
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
