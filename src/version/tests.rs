use super::*;
use alloc::vec;
use proptest::prelude::*;

fn sidecar(etag: &str) -> Sidecar {
    Sidecar {
        etag: etag.into(),
        stamp: Stamp {
            size: 242,
            modified: Time {
                seconds: 1_764_590_000,
                nanoseconds: 7,
            },
        },
    }
}

#[test]
fn sidecar_text_is_the_documented_format() {
    assert_eq!(
        sidecar("\"sha256-abc\"").encode(),
        "transcript-snapshot version 1\nsize 242\nmodified 1764590000.000000007\netag \"sha256-abc\"\n"
    );
}

#[test]
fn anything_but_the_exact_format_is_no_sidecar() {
    let good = sidecar("\"v\"").encode();
    assert_eq!(Sidecar::parse(good.as_bytes()), Some(sidecar("\"v\"")));
    let bad = [
        "",
        "transcript-snapshot version 2\nsize 1\nmodified 1.000000000\netag \"v\"\n",
        &good[..good.len() - 1],     // torn: no final newline
        &good[..good.len() / 2],     // torn mid-way
        &(good.clone() + "extra\n"), // trailing line
        "transcript-snapshot version 1\nsize -1\nmodified 1.000000000\netag \"v\"\n",
        "transcript-snapshot version 1\nsize 1\nmodified 1.5\netag \"v\"\n",
        "transcript-snapshot version 1\nsize 1\nmodified 1.000000000\netag \n",
        "transcript-snapshot version 1\nsize 1\nmodified 1.000000000\netag a b\n",
    ];
    for text in bad {
        assert_eq!(Sidecar::parse(text.as_bytes()), None, "{text:?}");
    }
    assert_eq!(Sidecar::parse(b"\xff\xfe"), None);
}

#[test]
fn etags_are_kept_only_when_they_can_go_back_as_one_header_line() {
    assert_eq!(
        usable_etag(b"\"sha256-x\"").as_deref(),
        Some("\"sha256-x\"")
    );
    assert_eq!(usable_etag(b"W/\"1\"").as_deref(), Some("W/\"1\""));
    assert_eq!(usable_etag(b""), None);
    assert_eq!(usable_etag(b"\"a b\""), None);
    assert_eq!(usable_etag(b"\"a\nb\""), None);
    assert_eq!(usable_etag("\"é\"".as_bytes()), None);
    assert_eq!(usable_etag(&vec![b'a'; MAX_ETAG_LEN + 1]), None);
    assert!(usable_etag(&vec![b'a'; MAX_ETAG_LEN]).is_some());
    assert!(can_match("\"x\""));
    assert!(!can_match("W/\"x\""));
}

#[test]
fn run_ids_are_plain_decimal() {
    assert_eq!(run_id(b"42"), Some(42));
    assert_eq!(run_id(b" 42"), None);
    assert_eq!(run_id(b"-1"), None);
    assert_eq!(run_id(b""), None);
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn the_sha256_member_is_found_among_others() {
    let digest: [u8; 32] = Sha256::digest(b"hello").into();
    let field = format!("sha-512=:{}:, sha-256=:{}:", b64(&[1; 64]), b64(&digest));
    assert_eq!(
        expected_sha256(&[field.into_bytes()]),
        Expected::Sha256(digest)
    );
    assert_eq!(expected_sha256(&[]), Expected::Nothing);
    assert_eq!(
        expected_sha256(&[b"sha-512=:AAAA:".to_vec()]),
        Expected::Nothing
    );
    // Parameters after the value are allowed.
    let with_param = format!("sha-256=:{}:;x=1", b64(&digest));
    assert_eq!(
        expected_sha256(&[with_param.into_bytes()]),
        Expected::Sha256(digest)
    );
}

#[test]
fn a_sha256_member_that_names_no_digest_is_malformed() {
    for bad in [
        "sha-256=abc".to_string(),
        format!("sha-256=:{}:", b64(&[0; 31])),
        "sha-256=:not base64!:".to_string(),
    ] {
        assert_eq!(
            expected_sha256(&[bad.clone().into_bytes()]),
            Expected::Malformed,
            "{bad}"
        );
    }
    let two = vec![
        format!("sha-256=:{}:", b64(&[1; 32])).into_bytes(),
        format!("sha-256=:{}:", b64(&[2; 32])).into_bytes(),
    ];
    assert_eq!(expected_sha256(&two), Expected::Malformed);
}

#[test]
fn the_body_hash_checks_every_chunk() {
    let digest: [u8; 32] = Sha256::digest(b"hello world").into();
    let mut h = BodyHash::new(Expected::Sha256(digest)).unwrap();
    h.update(b"hello ");
    h.update(b"world");
    assert_eq!(h.check(), Ok(()));
    let mut h = BodyHash::new(Expected::Sha256(digest)).unwrap();
    h.update(b"hello world!");
    assert_eq!(h.check(), Err(DigestMismatch));
    assert!(BodyHash::new(Expected::Malformed).is_err());
    let mut none = BodyHash::new(Expected::Nothing).unwrap();
    none.update(b"anything");
    assert_eq!(none.check(), Ok(()));
}

proptest! {
    #[test]
    fn a_sidecar_reads_back_as_written(
        etag in "[!-~]{1,64}",
        size in any::<u64>(),
        seconds in any::<u64>(),
        nanoseconds in 0u32..1_000_000_000,
    ) {
        let s = Sidecar { etag, stamp: Stamp { size, modified: Time { seconds, nanoseconds } } };
        prop_assert_eq!(Sidecar::parse(s.encode().as_bytes()), Some(s));
    }
}
