//! Revocation lists end to end: bundles signed with every algorithm family by keys generated at
//! run time, the memory budget at 100,000 `jti` + 10,000 subject entries (by the list's own
//! accounting and by the resident memory of a fresh process), lookups at that size, and
//! bundles signed by npm `jose` (when `EDGEWARD_INTEROP_DIR` holds `revocations.json`, written
//! by `tests/interop/gen_revocations.mjs` in the `interop-fresh` stage).

mod common;

use std::time::Instant;

use common::{kit, ISS, NOW};
use edgeward::jwa::{Alg, AlgSet};
use edgeward::jwk::{KeySet, Origin};
use edgeward::revocation::{RevocationError, RevocationList, Revoked, BUNDLE_TYP};
use serde_json::{json, Value};

/// The stated budget for 100k `jti` + 10k subject entries, in bytes.
const BUDGET: usize = 3_000_000;
const JTIS: usize = 100_000;
const SUBJECTS: usize = 10_000;

fn keys() -> KeySet {
    KeySet::from_value(
        &edgeward::json::parse(
            kit().jwks().to_string().as_bytes(),
            &edgeward::json::Limits::JWKS,
        )
        .unwrap(),
        AlgSet::all(),
        Origin::Local,
    )
    .unwrap()
}

fn bundle(alg: Alg, payload: &str) -> String {
    let header = json!({"alg": alg.name(), "kid": alg.name(), "typ": BUNDLE_TYP});
    kit().sign_raw(alg, &header.to_string(), payload.as_bytes())
}

/// A payload with `JTIS` jti entries (UUID-like, 36 bytes) and `SUBJECTS` subject entries.
fn big_payload(seq: u64) -> String {
    use std::fmt::Write as _;
    let mut p = String::with_capacity(8 << 20);
    let _ = write!(p, r#"{{"iat":{NOW},"seq":{seq},"jti":["#);
    for i in 0..JTIS {
        if i > 0 {
            p.push(',');
        }
        let _ = write!(p, r#"{{"iss":"{ISS}","jti":"{}"}}"#, jti(i));
    }
    p.push_str(r#"],"subjects":["#);
    for i in 0..SUBJECTS {
        if i > 0 {
            p.push(',');
        }
        let _ = write!(
            p,
            r#"{{"iss":"{ISS}","sub":"user-{i}@example.com","issued_before":{NOW}}}"#
        );
    }
    p.push_str("]}");
    p
}

fn jti(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-{:012x}", i * 7919)
}

#[test]
fn bundles_from_every_key_family_load() {
    let keys = keys();
    let payload = json!({"iat": NOW - 5, "seq": 3,
        "jti": [{"iss": ISS, "jti": "j-1"}],
        "subjects": [{"iss": ISS, "sub": "user-1", "issued_before": NOW - 60}],
        "issuers": [{"iss": "https://retired.example", "not_before": NOW}]})
    .to_string();
    for alg in Alg::ALL {
        let b = bundle(alg, &payload);
        let l = RevocationList::from_bundle(b.as_bytes(), &keys, AlgSet::all(), NOW, 600, None)
            .unwrap_or_else(|e| panic!("{alg:?}: {e}"));
        assert_eq!(l.seq(), Some(3));
        assert_eq!(
            l.check(Some(ISS), Some("j-1"), None, Some(NOW)),
            Err(Revoked::Jti)
        );
        assert_eq!(
            l.check(Some(ISS), None, Some("user-1"), Some(NOW - 61)),
            Err(Revoked::Subject)
        );
        assert_eq!(
            l.check(Some(ISS), Some("j-2"), Some("user-1"), Some(NOW)),
            Ok(())
        );
        assert_eq!(
            l.check(Some("https://retired.example"), None, None, Some(NOW - 1)),
            Err(Revoked::IssuerEpoch)
        );
        // Only the algorithm's own family verifies: the allow-list without it refuses.
        let others: AlgSet = Alg::ALL.into_iter().filter(|a| *a != alg).collect();
        let r = RevocationList::from_bundle(b.as_bytes(), &keys, others, NOW, 600, None);
        assert_eq!(r, Err(RevocationError::AlgNotAllowed), "{alg:?}");
    }
}

#[test]
fn every_changed_byte_is_refused() {
    let keys = keys();
    let payload = json!({"iat": NOW, "seq": 1, "jti": [{"iss": ISS, "jti": "j"}]}).to_string();
    for alg in [Alg::ES256, Alg::EdDSA, Alg::HS256] {
        let b = bundle(alg, &payload).into_bytes();
        assert!(RevocationList::from_bundle(&b, &keys, AlgSet::all(), NOW, 60, None).is_ok());
        for i in 0..b.len() {
            for with in [b'A', b'.', b'_', 0xff] {
                if b[i] == with {
                    continue;
                }
                let mut t = b.clone();
                t[i] = with;
                let r = RevocationList::from_bundle(&t, &keys, AlgSet::all(), NOW, 60, None);
                assert!(r.is_err(), "{alg:?}: byte {i} -> {with}");
            }
        }
    }
}

#[test]
fn memory_budget_and_lookups_at_100k() {
    let keys = keys();
    let payload = big_payload(42);
    let b = bundle(Alg::HS256, &payload);
    let t = Instant::now();
    let list = RevocationList::from_bundle(b.as_bytes(), &keys, AlgSet::all(), NOW, 600, Some(41))
        .unwrap();
    let load = t.elapsed();
    assert_eq!(list.jti_count(), JTIS);
    assert_eq!(list.subject_count(), SUBJECTS);
    let bytes = list.approx_bytes();
    println!(
        "revocation: {JTIS} jti + {SUBJECTS} subject entries: bundle {} bytes, list {bytes} bytes \
         (approx_bytes), loaded in {load:?}",
        b.len()
    );
    assert!(bytes <= BUDGET, "{bytes} > {BUDGET}");
    assert!(bytes >= JTIS * 16 + SUBJECTS * 24);
    // Every entry is found, and nothing else is.
    let probes: Vec<(String, String)> = (0..JTIS).map(|i| (jti(i), jti(i + JTIS))).collect();
    let t = Instant::now();
    for (revoked, kept) in &probes {
        assert_eq!(
            list.check(Some(ISS), Some(revoked), None, Some(NOW)),
            Err(Revoked::Jti)
        );
        assert_eq!(list.check(Some(ISS), Some(kept), None, Some(NOW)), Ok(()));
    }
    let per = t.elapsed() / u32::try_from(2 * JTIS).unwrap();
    for i in 0..SUBJECTS {
        let sub = format!("user-{i}@example.com");
        assert_eq!(
            list.check(Some(ISS), None, Some(&sub), Some(NOW - 1)),
            Err(Revoked::Subject)
        );
        assert_eq!(list.check(Some(ISS), None, Some(&sub), Some(NOW)), Ok(()));
        assert_eq!(
            list.check(Some("https://other.example"), None, Some(&sub), None),
            Ok(())
        );
    }
    println!("revocation: {per:?} per jti lookup (hash + binary search, 100k entries)");
    // An older list is refused once this one is held.
    let old = bundle(Alg::HS256, &big_payload(41));
    let r = RevocationList::from_bundle(old.as_bytes(), &keys, AlgSet::all(), NOW, 600, list.seq());
    assert_eq!(r, Err(RevocationError::ReplayedSequence));
}

/// Resident memory of this process, from `/proc/self/status` (Linux), in bytes.
fn proc_status(field: &str) -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Run only as a child of [`memory_measured_in_a_fresh_process`]: reads the key set and the
/// 100k bundle its parent wrote (so that no freed memory of building them is lying resident),
/// loads the bundle and prints resident memory before and after, and the peak while loading.
#[test]
#[ignore = "run by memory_measured_in_a_fresh_process in a child process"]
fn measure_child() {
    let Some(dir) = std::env::var_os("EDGEWARD_REVOCATION_MEASURE") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let jwks = std::fs::read(dir.join("jwks.json")).unwrap();
    let keys = KeySet::from_jwks(&jwks, AlgSet::all(), Origin::Local).unwrap();
    let b = std::fs::read(dir.join("bundle")).unwrap();
    // Reset the peak (VmHWM) to the current resident size (Linux clear_refs, value 5).
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
    let before = proc_status("VmRSS:").unwrap();
    let list = RevocationList::from_bundle(&b, &keys, AlgSet::all(), NOW, 600, None).unwrap();
    let after = proc_status("VmRSS:").unwrap();
    let peak = proc_status("VmHWM:").unwrap();
    assert_eq!(list.jti_count(), JTIS);
    println!(
        "\nMEASURE bundle={} approx={} rss_before={before} rss_after={after} peak={peak}",
        b.len(),
        list.approx_bytes()
    );
}

#[test]
fn memory_measured_in_a_fresh_process() {
    if proc_status("VmRSS:").is_none() || !std::path::Path::new("/proc/self/clear_refs").exists() {
        println!("skipped: no /proc (not Linux)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("edgeward-revocation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jwks.json"), kit().jwks().to_string()).unwrap();
    std::fs::write(dir.join("bundle"), bundle(Alg::HS256, &big_payload(1))).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "measure_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("EDGEWARD_REVOCATION_MEASURE", &dir)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MEASURE "))
        .unwrap_or_else(|| panic!("no measurement in {stdout}"));
    let get = |k: &str| -> usize {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    let (bundle, retained, transient) = (
        get("bundle"),
        get("rss_after").saturating_sub(get("rss_before")),
        get("peak").saturating_sub(get("rss_before")),
    );
    println!(
        "revocation: measured in a fresh process: resident +{retained} bytes after loading \
         (approx_bytes {}), peak +{transient} bytes while loading a {bundle}-byte bundle",
        get("approx")
    );
    // Resident growth includes allocator slack and freed-but-kept pages: an upper bound on
    // what the list retains.
    assert!(retained <= BUDGET, "{retained} > {BUDGET}");
    // The transient peak: the decoded payload plus the growing arrays, never a whole tree.
    assert!(
        transient <= bundle + BUDGET,
        "{transient} > {bundle} + {BUDGET}"
    );
}

/// Bundles signed by npm `jose` at test time (skipped unless `EDGEWARD_INTEROP_DIR` is set).
#[test]
fn interop_jose_bundles() {
    let Some(dir) = std::env::var_os("EDGEWARD_INTEROP_DIR") else {
        println!("skipped: EDGEWARD_INTEROP_DIR not set");
        return;
    };
    let path = std::path::Path::new(&dir).join("revocations.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let keys = KeySet::from_jwks(
        doc["jwks"].to_string().as_bytes(),
        AlgSet::all(),
        Origin::Local,
    )
    .unwrap();
    assert!(keys.skipped().is_empty(), "{:?}", keys.skipped());
    let now = doc["now"].as_i64().unwrap();
    let mut loaded = 0;
    for b in doc["bundles"].as_array().unwrap() {
        let alg = b["alg"].as_str().unwrap();
        let text = b["bundle"].as_str().unwrap();
        let held = b["held_seq"].as_u64();
        let got =
            RevocationList::from_bundle(text.as_bytes(), &keys, AlgSet::all(), now, 600, held);
        if let Some(code) = b["error"].as_str() {
            assert_eq!(
                got.map(|_| ()).unwrap_err().code(),
                code,
                "{alg} {}",
                b["what"]
            );
            continue;
        }
        let list = got.unwrap_or_else(|e| panic!("{alg} {}: {e}", b["what"]));
        assert_eq!(list.seq(), b["seq"].as_u64());
        for c in doc["checks"].as_array().unwrap() {
            let s = |k: &str| c[k].as_str();
            let want = c["revoked"].as_str();
            let got = list.check(s("iss"), s("jti"), s("sub"), c["iat"].as_i64());
            assert_eq!(got.err().map(Revoked::code), want, "{alg}: {c}");
        }
        // A flipped signature byte fails.
        let mut t = text.as_bytes().to_vec();
        let last = t.len() - 3;
        t[last] = if t[last] == b'A' { b'B' } else { b'A' };
        let r = RevocationList::from_bundle(&t, &keys, AlgSet::all(), now, 600, None);
        assert_eq!(r.map(|_| ()).unwrap_err().code(), "signature", "{alg}");
        loaded += 1;
    }
    println!(
        "revocation: {loaded} jose bundles verified ({})",
        doc["generator"]
    );
    assert!(loaded >= 4);
}
