use super::*;
use alloc::string::ToString;
use proptest::prelude::*;

#[test]
fn keeps_top_level_strings_and_numbers() {
    let m = object(
        r#" {"a": "x\"\u00e9\ud83d\ude00", "n": -1.5e3, "o": {"k": [1, {"z": null}]}, "b": true} "#,
    )
    .unwrap();
    assert_eq!(last(&m, "a"), Some(&Value::Str("x\"é😀".to_string())));
    assert_eq!(last(&m, "n"), Some(&Value::Num("-1.5e3")));
    assert_eq!(last(&m, "o"), Some(&Value::Other));
    assert_eq!(last(&m, "b"), Some(&Value::Other));
    assert_eq!(last(&m, "missing"), None);
}

#[test]
fn refuses_what_json_refuses() {
    for bad in [
        "",
        "{",
        "{\"a\" 1}",
        "{\"a\":1,}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"tab\there\"}",
        "{} x",
        "{\"a\":tru}",
        "{'a':1}",
    ] {
        assert!(matches!(object(bad), Err(JsonError::Syntax(_))), "{bad:?}");
    }
    for not_object in ["[1]", "1", "\"s\"", "null", " true "] {
        assert_eq!(
            object(not_object),
            Err(JsonError::NotObject),
            "{not_object:?}"
        );
    }
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert!(object(&alloc::format!("{{\"a\":{deep}}}")).is_err());
}

#[test]
fn whole_numbers_exactly() {
    let max = (1 << 53) - 1;
    for (text, want) in [
        ("42", Some(42)),
        ("42.0", Some(42)),
        ("4.2e1", Some(42)),
        ("4200e-2", Some(42)),
        ("1e3", Some(1000)),
        ("1.5", None),
        ("-1", None),
        ("0", Some(0)),
        ("-0", Some(0)),
        ("9007199254740991", Some(max)),
        ("9007199254740992", None),
        ("1e300", None),
        ("1e-300", None),
        ("12e-1", None),
        ("0.0", Some(0)),
    ] {
        assert_eq!(whole_number(text, max), want, "{text}");
    }
}

fn oracle(text: &str) -> Option<Result<Vec<(String, serde_json::Value)>, bool>> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => Some(Ok(m.into_iter().collect())),
        Ok(_) => Some(Err(true)),
        // serde_json refuses numbers beyond f64; JSON (and JavaScript) does not.
        Err(e) if e.to_string().contains("number out of range") => None,
        Err(_) => Some(Err(false)),
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        any::<String>().prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any JSON object serde_json writes: same top-level strings and numbers.
    #[test]
    fn agrees_with_serde_on_objects(members in proptest::collection::btree_map(any::<String>(), json_value(), 0..5)) {
        let text = serde_json::to_string(&serde_json::Value::Object(members.clone().into_iter().collect())).unwrap();
        let got = object(&text).unwrap();
        prop_assert_eq!(got.len(), members.len());
        for (k, v) in &members {
            match (last(&got, k), v) {
                (Some(Value::Str(s)), serde_json::Value::String(t)) => prop_assert_eq!(s, t),
                (Some(Value::Num(n)), serde_json::Value::Number(t)) => prop_assert_eq!(*n, t.to_string()),
                (Some(Value::Other), other) => prop_assert!(!other.is_string() && !other.is_number()),
                (got, want) => prop_assert!(false, "{got:?} for {want}"),
            }
        }
    }

    /// Any text at all: accepted, refused, or "not an object" exactly as serde_json decides.
    #[test]
    fn agrees_with_serde_on_any_text(text in "[ {}\\[\\]\":,0-9.eE+\\-a-z\\\\]{0,24}") {
        if let Some(want) = oracle(&text) {
            match (object(&text), want) {
                (Ok(got), Ok(want)) => {
                    let mut keys: Vec<&String> = got.iter().map(|(k, _)| k).collect();
                    keys.sort();
                    keys.dedup();
                    prop_assert_eq!(keys.len(), want.len());
                }
                (Err(JsonError::NotObject), Err(true)) | (Err(JsonError::Syntax(_)), Err(false)) => {}
                (got, want) => prop_assert!(false, "{text:?}: {got:?} vs {want:?}"),
            }
        }
    }
}
