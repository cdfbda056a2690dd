//! Revocation lists: deny entries checked locally on every request, with no call out.
//!
//! # Rules
//! A list holds three kinds of deny entry, each scoped to one issuer (`iss`):
//! - **`jti`**: the token with this (`iss`, `jti`) pair is denied.
//! - **subject**: every token of (`iss`, `sub`) whose `iat` is before `issued_before` is denied
//!   ("log this user out everywhere as of T"); a token *without* `iat` is denied too, since it
//!   cannot show it was issued after the cut-off.
//! - **issuer epoch**: every token of `iss` whose `iat` is before `not_before` is denied
//!   ("everything this issuer minted before T": a key compromise, a mass logout); again a token
//!   without `iat` is denied.
//!
//! A token without `iss` matches no entry (every entry names its issuer): providers that rely
//! on revocation should require an issuer. Times are whole seconds; callers pass the floor of a
//! fractional `iat` (for an integer cut-off `T`, `iat < T` exactly when `floor(iat) < T`).
//! [`RevocationList::check`] tests the issuer epoch, then the subject entry, then the `jti`
//! entry, and reports the first that denies as a [`Revoked`] with a stable code.
//!
//! # Format
//! The same JSON object inline in the policy ([`RevocationList::from_value`]) and as the payload
//! of a fetched bundle ([`RevocationList::from_bundle`]):
//!
//! ```json
//! {"jti":      [{"iss": "https://idp.example", "jti": "5f0c..."}],
//!  "subjects": [{"iss": "https://idp.example", "sub": "alice", "issued_before": 1800000000}],
//!  "issuers":  [{"iss": "https://old.example", "not_before": 1790000000}]}
//! ```
//!
//! Every member is optional; unknown members anywhere are refused (`malformed`), so a typo can
//! never silently drop entries. Strings are non-empty, at most [`MAX_STRING`] bytes; times are
//! non-negative integers. Repeated entries are merged (for subjects and issuers the latest
//! cut-off wins).
//!
//! A bundle is a compact JWS with header `typ` = [`BUNDLE_TYP`], signed with a key of the key
//! set the policy configures (asymmetric, or HMAC for a locally configured secret), with
//! `alg` in the configured allow-list and bound to the key; keys named by the bundle's header
//! (`jwk`, `jku`, `x5c`, `x5u`) are never used. Its payload adds `iat` (publication time,
//! required), `seq` (a sequence number the publisher increases with every new list, required)
//! and an optional `exp`. Inline lists may not carry these three.
//!
//! # Failure modes (fail closed)
//! Loading either form returns a list or a [`RevocationError`] with a stable code; a host keeps
//! the list it had. A bundle is refused when it is over [`MAX_BUNDLE_BYTES`] or
//! [`MAX_ENTRIES`] (`too_large`, checked before and during parsing), not a well-formed JWS or
//! payload (`malformed`), of another `typ` (`wrong_typ`), not verifiable with the configured
//! keys (`alg_not_allowed`, `key_not_found`, `signature`), issued more than
//! [`MAX_FUTURE_SKEW`] in the future (`issued_in_future`), already older than `max_stale`
//! (`stale`) or past its `exp` (`expired`), or older than the list held, by `seq`
//! (`replayed_sequence`: an attacker replaying an old list to un-revoke tokens). Hosts deny
//! every request of a provider whose list was never loaded or is no longer
//! [fresh](RevocationList::is_fresh).
//!
//! # Memory budget
//! Entries are not stored as strings. A `jti` entry is the first 16 bytes of
//! SHA-256(kind, `len(iss)`, `iss`, `jti`) in a sorted `Vec` (binary search); a subject entry is
//! the same 16-byte hash of (`iss`, `sub`) plus an 8-byte cut-off (24 bytes); issuer epochs
//! (at most [`MAX_ISSUERS`]) keep the issuer string. So 100,000 `jti` entries and 10,000
//! subject entries take 1.84 MB whatever the string lengths ([`RevocationList::approx_bytes`]
//! reports it; `tests/revocation.rs` measures it, see `docs/revocation.md`). Parsing a bundle
//! never builds the whole JSON tree: entries are parsed one at a time, so the transient peak
//! is the decoded payload plus the growing arrays.
//!
//! Collisions: two different (`iss`, value) pairs share a 128-bit hash with probability about
//! `n / 2^128` per lookup (3e-34 for n = 100,000): a legitimate token is never denied in
//! practice, and finding a token that collides with a revoked one needs a 2^128 second-preimage
//! search (and would only get the attacker's own token denied). The length prefix keeps
//! (`iss`, value) pairs that concatenate alike apart. A revoked token is always found (no false
//! negatives).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use sha2::{Digest, Sha256};

use crate::json::{self, JsonError, Limits, Value};
use crate::jwa::AlgSet;
use crate::jwk::KeySet;
use crate::jws::{self, Compact, TokenLimits};
use crate::reason::Reason;

/// The `typ` a bundle's protected header must carry (compared as RFC 7515 4.1.9 says).
pub const BUNDLE_TYP: &str = "edgeward-revocations+jwt";
/// Largest bundle accepted, in bytes of the compact JWS.
pub const MAX_BUNDLE_BYTES: usize = 16 * 1024 * 1024;
/// Most entries in one list, the three kinds together.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Most issuer epochs in one list.
pub const MAX_ISSUERS: usize = 1024;
/// Longest `iss`, `jti` or `sub` in an entry, in bytes.
pub const MAX_STRING: usize = 2048;
/// How far in the future a bundle's `iat` may be, in seconds (publisher clock skew).
pub const MAX_FUTURE_SKEW: i64 = 60;

/// Caps for one entry object (parsed on its own).
const ENTRY_LIMITS: Limits = Limits {
    max_bytes: 3 * MAX_STRING + 256,
    max_depth: 1,
    max_members: 8,
    max_string: MAX_STRING,
    max_nodes: 9,
};

/// Caps for a member name or a scalar at the top of the list object.
const SCALAR_LIMITS: Limits = Limits {
    max_bytes: 256,
    max_depth: 0,
    max_members: 0,
    max_string: 64,
    max_nodes: 1,
};

/// Deepest nesting the bundle scanner follows before giving up (the entries are flat).
const MAX_SCAN_DEPTH: usize = 8;

/// Which entry denied a token. Codes are stable: added, never renamed.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Revoked {
    /// An (`iss`, `jti`) entry.
    Jti,
    /// An (`iss`, `sub`) entry whose cut-off is after the token's `iat` (or the token has none).
    Subject,
    /// The issuer's epoch is after the token's `iat` (or the token has none).
    IssuerEpoch,
}

impl Revoked {
    /// Stable `snake_case` code.
    pub const fn code(self) -> &'static str {
        match self {
            Revoked::Jti => "jti",
            Revoked::Subject => "subject",
            Revoked::IssuerEpoch => "issuer_epoch",
        }
    }
}

impl fmt::Display for Revoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token revoked ({})", self.code())
    }
}

/// Why a list or bundle was refused. Codes are stable: added, never renamed. The detail
/// names the part at fault and carries no input bytes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationError {
    /// Over [`MAX_BUNDLE_BYTES`], [`MAX_ENTRIES`], [`MAX_ISSUERS`] or a string/entry cap.
    TooLarge(&'static str),
    /// Not a compact JWS, or the payload is not a list in the format above.
    Malformed(&'static str),
    /// The protected header's `typ` is not [`BUNDLE_TYP`].
    WrongTyp,
    /// `alg` is not in the allow-list, or the key named by `kid` is bound to another algorithm.
    AlgNotAllowed,
    /// No configured key has the bundle's `kid` (or, without `kid`, is bound to its `alg`).
    KeyNotFound,
    /// The signature does not verify with the configured keys.
    Signature,
    /// The bundle's `iat` is more than [`MAX_FUTURE_SKEW`] ahead of now.
    IssuedInFuture,
    /// The bundle's `iat` is more than `max_stale` seconds old.
    Stale,
    /// The bundle's `exp` has passed.
    Expired,
    /// The bundle's `seq` is lower than the held list's: an old list replayed.
    ReplayedSequence,
}

impl RevocationError {
    /// Stable `snake_case` code.
    pub const fn code(self) -> &'static str {
        match self {
            RevocationError::TooLarge(_) => "too_large",
            RevocationError::Malformed(_) => "malformed",
            RevocationError::WrongTyp => "wrong_typ",
            RevocationError::AlgNotAllowed => "alg_not_allowed",
            RevocationError::KeyNotFound => "key_not_found",
            RevocationError::Signature => "signature",
            RevocationError::IssuedInFuture => "issued_in_future",
            RevocationError::Stale => "stale",
            RevocationError::Expired => "expired",
            RevocationError::ReplayedSequence => "replayed_sequence",
        }
    }
}

impl fmt::Display for RevocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevocationError::TooLarge(d) | RevocationError::Malformed(d) => {
                write!(f, "revocation list {}: {d}", self.code())
            }
            _ => write!(f, "revocation list {}", self.code()),
        }
    }
}

/// A compiled, immutable revocation list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationList {
    /// Hashes of (`iss`, `jti`), sorted, unique.
    jti: Vec<[u8; 16]>,
    /// Hashes of (`iss`, `sub`) with their cut-off, sorted by hash, unique.
    subjects: Vec<([u8; 16], i64)>,
    /// Issuer epochs, sorted by issuer, unique.
    issuers: Vec<(String, i64)>,
    /// The bundle's publication time; `None` for an inline list.
    issued_at: Option<i64>,
    /// The bundle's sequence number; `None` for an inline list.
    seq: Option<u64>,
    /// The bundle's `exp`, if it had one.
    expires_at: Option<i64>,
}

impl RevocationList {
    /// A list with no entries (an inline list, so always fresh).
    pub fn empty() -> RevocationList {
        RevocationList::default()
    }

    /// Compiles the inline form (a value from the policy). `iat`, `seq` and `exp` belong to
    /// bundles and are refused here.
    ///
    /// # Errors
    /// - `malformed`: not an object, an unknown member, a member or entry of the wrong type,
    ///   an empty string, a negative or non-integer time.
    /// - `too_large`: over [`MAX_ENTRIES`], [`MAX_ISSUERS`] or [`MAX_STRING`].
    pub fn from_value(value: &Value) -> Result<RevocationList, RevocationError> {
        let obj = value
            .as_object()
            .ok_or(RevocationError::Malformed("not an object"))?;
        let mut b = Builder::default();
        for (name, v) in obj.iter() {
            let kind = ListKind::from_name(name).ok_or(RevocationError::Malformed("member"))?;
            let Value::Array(items) = v else {
                return Err(RevocationError::Malformed("not an array"));
            };
            for item in items {
                b.add(kind, item)?;
            }
        }
        Ok(b.finish(None, None, None))
    }

    /// Verifies and compiles a fetched bundle. `keys` and `algs` come from the policy (never
    /// from the bundle); `now` is the host's clock; `held_seq` is the `seq` of the list the
    /// host holds now, if any.
    ///
    /// Checks, in order: size -> compact JWS structure and header -> `alg` allowed and bound
    /// to the key -> signature -> `typ` -> payload (entry by entry, capped) -> `seq` not below
    /// `held_seq` -> `iat` not in the future -> not stale, not expired.
    ///
    /// # Errors
    /// Every [`RevocationError`] but none other: see the module docs for when each applies.
    pub fn from_bundle(
        bundle: &[u8],
        keys: &KeySet,
        algs: AlgSet,
        now: i64,
        max_stale: i64,
        held_seq: Option<u64>,
    ) -> Result<RevocationList, RevocationError> {
        if bundle.len() > MAX_BUNDLE_BYTES {
            return Err(RevocationError::TooLarge("bundle"));
        }
        let text = core::str::from_utf8(bundle)
            .map_err(|_| RevocationError::Malformed("bundle characters"))?;
        let limits = TokenLimits {
            max_token: MAX_BUNDLE_BYTES,
            max_header: 1024,
        };
        let compact =
            Compact::parse(text.trim_ascii(), &limits).map_err(|r| jws_error(r.reason))?;
        let verified = compact
            .verify(keys, algs)
            .map_err(|r| jws_error(r.reason))?;
        match verified.header.typ.as_deref() {
            Some(t) if jws::typ_matches(t, BUNDLE_TYP) => {}
            _ => return Err(RevocationError::WrongTyp),
        }
        let list = parse_payload(verified.payload())?;
        let (Some(iat), Some(seq)) = (list.issued_at, list.seq) else {
            return Err(RevocationError::Malformed("iat and seq are required"));
        };
        if held_seq.is_some_and(|held| seq < held) {
            return Err(RevocationError::ReplayedSequence);
        }
        if iat > now.saturating_add(MAX_FUTURE_SKEW) {
            return Err(RevocationError::IssuedInFuture);
        }
        if list.expires_at.is_some_and(|exp| now >= exp) {
            return Err(RevocationError::Expired);
        }
        if !list.is_fresh(now, max_stale) {
            return Err(RevocationError::Stale);
        }
        Ok(list)
    }

    /// Checks a verified token's claims against the list.
    ///
    /// # Errors
    /// The first rule that denies, in the order issuer epoch, subject, `jti`; see [`Revoked`].
    pub fn check(
        &self,
        iss: Option<&str>,
        jti: Option<&str>,
        sub: Option<&str>,
        iat: Option<i64>,
    ) -> Result<(), Revoked> {
        let Some(iss) = iss else {
            return Ok(());
        };
        let before = |cutoff: i64| iat.is_none_or(|t| t < cutoff);
        if let Ok(i) = self
            .issuers
            .binary_search_by(|(name, _)| name.as_str().cmp(iss))
        {
            if self.issuers.get(i).is_some_and(|(_, epoch)| before(*epoch)) {
                return Err(Revoked::IssuerEpoch);
            }
        }
        if let (Some(sub), false) = (sub, self.subjects.is_empty()) {
            let h = entry_hash(Kind::Subject, iss, sub);
            if let Ok(i) = self.subjects.binary_search_by(|(k, _)| k.cmp(&h)) {
                if self.subjects.get(i).is_some_and(|(_, cut)| before(*cut)) {
                    return Err(Revoked::Subject);
                }
            }
        }
        if let (Some(jti), false) = (jti, self.jti.is_empty()) {
            if self
                .jti
                .binary_search(&entry_hash(Kind::Jti, iss, jti))
                .is_ok()
            {
                return Err(Revoked::Jti);
            }
        }
        Ok(())
    }

    /// Whether the list may still be used at `now`: an inline list always; a bundle while
    /// `now - iat <= max_stale` and before its `exp`. Hosts deny (fail closed) when the list
    /// of a provider that needs one was never loaded or is not fresh.
    pub fn is_fresh(&self, now: i64, max_stale: i64) -> bool {
        let Some(iat) = self.issued_at else {
            return true;
        };
        now.saturating_sub(iat) <= max_stale && self.expires_at.is_none_or(|exp| now < exp)
    }

    /// Bytes held by the list: the struct, every array's capacity and the issuer strings.
    pub fn approx_bytes(&self) -> usize {
        use core::mem::size_of;
        let strings: usize = self.issuers.iter().map(|(s, _)| s.capacity()).sum();
        size_of::<Self>()
            + self.jti.capacity() * size_of::<[u8; 16]>()
            + self.subjects.capacity() * size_of::<([u8; 16], i64)>()
            + self.issuers.capacity() * size_of::<(String, i64)>()
            + strings
    }

    /// The bundle's `seq` (`None` for an inline list): pass it as `held_seq` next time.
    pub fn seq(&self) -> Option<u64> {
        self.seq
    }

    /// The bundle's publication time (`None` for an inline list).
    pub fn issued_at(&self) -> Option<i64> {
        self.issued_at
    }

    /// The bundle's `exp`, if it had one.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// Distinct (`iss`, `jti`) entries.
    pub fn jti_count(&self) -> usize {
        self.jti.len()
    }

    /// Distinct (`iss`, `sub`) entries.
    pub fn subject_count(&self) -> usize {
        self.subjects.len()
    }

    /// Issuers with an epoch.
    pub fn issuer_count(&self) -> usize {
        self.issuers.len()
    }
}

fn jws_error(reason: Reason) -> RevocationError {
    match reason {
        Reason::TokenTooLarge => RevocationError::TooLarge("bundle"),
        Reason::AlgNotAllowed => RevocationError::AlgNotAllowed,
        Reason::KeyNotFound | Reason::KidMissing => RevocationError::KeyNotFound,
        Reason::SignatureInvalid => RevocationError::Signature,
        _ => RevocationError::Malformed("bundle jws"),
    }
}

/// Domain separation between the two hashed tables.
#[derive(Clone, Copy)]
enum Kind {
    Jti = 1,
    Subject = 2,
}

/// The first 16 bytes of SHA-256(kind || u64be(len(iss)) || iss || value).
fn entry_hash(kind: Kind, iss: &str, value: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update([kind as u8]);
    h.update(u64::try_from(iss.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(iss.as_bytes());
    h.update(value.as_bytes());
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    out
}

/// The three arrays of the format.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Jti,
    Subjects,
    Issuers,
}

impl ListKind {
    fn from_name(name: &str) -> Option<ListKind> {
        match name {
            "jti" => Some(ListKind::Jti),
            "subjects" => Some(ListKind::Subjects),
            "issuers" => Some(ListKind::Issuers),
            _ => None,
        }
    }
}

/// Collects entries, then sorts and merges them once.
#[derive(Default)]
struct Builder {
    jti: Vec<[u8; 16]>,
    subjects: Vec<([u8; 16], i64)>,
    issuers: Vec<(String, i64)>,
}

impl Builder {
    fn count(&self) -> usize {
        self.jti.len() + self.subjects.len() + self.issuers.len()
    }

    fn add(&mut self, kind: ListKind, entry: &Value) -> Result<(), RevocationError> {
        if self.count() >= MAX_ENTRIES {
            return Err(RevocationError::TooLarge("entries"));
        }
        let obj = entry
            .as_object()
            .ok_or(RevocationError::Malformed("entry"))?;
        let allowed: &[&str] = match kind {
            ListKind::Jti => &["iss", "jti"],
            ListKind::Subjects => &["iss", "sub", "issued_before"],
            ListKind::Issuers => &["iss", "not_before"],
        };
        if obj.iter().any(|(k, _)| !allowed.contains(&k)) {
            return Err(RevocationError::Malformed("entry member"));
        }
        let iss = entry_str(obj, "iss")?;
        match kind {
            ListKind::Jti => {
                let jti = entry_str(obj, "jti")?;
                self.jti.push(entry_hash(Kind::Jti, iss, jti));
            }
            ListKind::Subjects => {
                let sub = entry_str(obj, "sub")?;
                let cut = time(obj.get("issued_before"))?;
                self.subjects
                    .push((entry_hash(Kind::Subject, iss, sub), cut));
            }
            ListKind::Issuers => {
                if self.issuers.len() >= MAX_ISSUERS {
                    return Err(RevocationError::TooLarge("issuers"));
                }
                let epoch = time(obj.get("not_before"))?;
                self.issuers.push((String::from(iss), epoch));
            }
        }
        Ok(())
    }

    fn finish(
        mut self,
        issued_at: Option<i64>,
        seq: Option<u64>,
        expires_at: Option<i64>,
    ) -> RevocationList {
        heap_sort(&mut self.jti);
        self.jti.dedup();
        self.jti.shrink_to_fit();
        heap_sort(&mut self.subjects);
        // Sorted by (hash, cut-off): of equal hashes keep the last, the latest cut-off.
        self.subjects.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        self.subjects.shrink_to_fit();
        heap_sort(&mut self.issuers);
        self.issuers.dedup_by(|later, earlier| {
            if later.0 == earlier.0 {
                earlier.1 = later.1;
                true
            } else {
                false
            }
        });
        self.issuers.shrink_to_fit();
        RevocationList {
            jti: self.jti,
            subjects: self.subjects,
            issuers: self.issuers,
            issued_at,
            seq,
            expires_at,
        }
    }
}

/// Sorts `v` in place: heapsort, O(n log n) with no allocation. A list is sorted once per
/// bundle, and the standard `sort_unstable` costs ~10-20 KB of wasm per element type (three
/// here) where this costs well under 1 KB.
fn heap_sort<T: Ord>(v: &mut [T]) {
    /// Moves `v[root]` down until the subtree of `v[..end]` under it is a max-heap again.
    fn sift_down<T: Ord>(v: &mut [T], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

fn entry_str<'v>(obj: &'v json::Object, name: &str) -> Result<&'v str, RevocationError> {
    match obj.get(name) {
        Some(Value::String(s)) if s.len() > MAX_STRING => Err(RevocationError::TooLarge("string")),
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(RevocationError::Malformed("entry string")),
    }
}

/// A non-negative integer number of seconds.
fn time(v: Option<&Value>) -> Result<i64, RevocationError> {
    match v {
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|t| *t >= 0)
            .ok_or(RevocationError::Malformed("time")),
        _ => Err(RevocationError::Malformed("time")),
    }
}

fn json_error(e: JsonError, what: &'static str) -> RevocationError {
    match e {
        JsonError::TooLarge | JsonError::TooMany | JsonError::StringTooLong => {
            RevocationError::TooLarge(what)
        }
        JsonError::TooDeep | JsonError::DuplicateKey | JsonError::Syntax => {
            RevocationError::Malformed(what)
        }
    }
}

/// Parses a bundle payload without building its whole tree: the top-level object is walked
/// here and every entry (and member name and scalar) is handed to [`json::parse`] on its own,
/// under small limits. The bytes between those pieces are checked to be exactly JSON's
/// structural characters, so the payload as a whole is accepted only if it is strict JSON.
fn parse_payload(bytes: &[u8]) -> Result<RevocationList, RevocationError> {
    let mut s = Scanner { s: bytes, i: 0 };
    let mut b = Builder::default();
    let mut seen: [bool; 6] = [false; 6];
    let (mut iat, mut seq, mut exp) = (None, None, None);
    s.ws();
    s.expect(b'{')?;
    s.ws();
    if !s.eat(b'}') {
        loop {
            s.ws();
            let Value::String(name) = s.scalar()? else {
                return Err(RevocationError::Malformed("member name"));
            };
            let slot = match name.as_str() {
                "jti" => 0,
                "subjects" => 1,
                "issuers" => 2,
                "iat" => 3,
                "seq" => 4,
                "exp" => 5,
                _ => return Err(RevocationError::Malformed("member")),
            };
            if let Some(seen) = seen.get_mut(slot) {
                if *seen {
                    return Err(RevocationError::Malformed("duplicate member"));
                }
                *seen = true;
            }
            s.ws();
            s.expect(b':')?;
            s.ws();
            if let Some(kind) = ListKind::from_name(&name) {
                s.array(|entry| {
                    let v =
                        json::parse(entry, &ENTRY_LIMITS).map_err(|e| json_error(e, "entry"))?;
                    b.add(kind, &v)
                })?;
            } else {
                let v = s.scalar()?;
                match name.as_str() {
                    "iat" => iat = Some(time(Some(&v))?),
                    "exp" => exp = Some(time(Some(&v))?),
                    _ => {
                        let n = match &v {
                            Value::Number(n) => n.as_str().parse::<u64>().ok(),
                            _ => None,
                        };
                        seq = Some(n.ok_or(RevocationError::Malformed("seq"))?);
                    }
                }
            }
            s.ws();
            if s.eat(b'}') {
                break;
            }
            s.expect(b',')?;
        }
    }
    s.ws();
    if s.i != bytes.len() {
        return Err(RevocationError::Malformed("trailing data"));
    }
    Ok(b.finish(iat, seq, exp))
}

/// A cursor over the payload that finds where one JSON value ends without interpreting it.
struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), RevocationError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(RevocationError::Malformed("payload json"))
        }
    }

    /// The bytes of the value starting here (strings, brackets and scalars delimited, contents
    /// not validated: the caller parses the slice strictly).
    fn value_bytes(&mut self) -> Result<&'a [u8], RevocationError> {
        let start = self.i;
        let mut depth = 0usize;
        let mut in_string = false;
        loop {
            let Some(c) = self.peek() else {
                return Err(RevocationError::Malformed("payload json"));
            };
            if in_string {
                self.i += 1;
                match c {
                    b'\\' => self.i += 1,
                    b'"' => {
                        in_string = false;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                continue;
            }
            match c {
                b'"' => {
                    in_string = true;
                    self.i += 1;
                }
                b'{' | b'[' => {
                    depth += 1;
                    if depth > MAX_SCAN_DEPTH {
                        return Err(RevocationError::Malformed("payload json"));
                    }
                    self.i += 1;
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    self.i += 1;
                    if depth == 0 {
                        break;
                    }
                }
                b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => break,
                _ => self.i += 1,
            }
        }
        self.s
            .get(start..self.i)
            .ok_or(RevocationError::Malformed("payload json"))
    }

    /// A scalar (member name, number) parsed strictly.
    fn scalar(&mut self) -> Result<Value, RevocationError> {
        let bytes = self.value_bytes()?;
        json::parse(bytes, &SCALAR_LIMITS).map_err(|e| json_error(e, "payload json"))
    }

    /// An array: calls `each` with every element's bytes.
    fn array(
        &mut self,
        mut each: impl FnMut(&'a [u8]) -> Result<(), RevocationError>,
    ) -> Result<(), RevocationError> {
        self.expect(b'[')?;
        self.ws();
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.ws();
            let v = self.value_bytes()?;
            each(v)?;
            self.ws();
            if self.eat(b']') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }
}

/// Fuzzing hook: the payload parser on its own (a fuzzer cannot sign bundles).
#[cfg(any(all(test, feature = "std"), feature = "fuzzing"))]
pub(crate) fn fuzz_payload(data: &[u8]) {
    if let Ok(list) = parse_payload(data) {
        let _ = list.check(Some("i"), Some("j"), Some("s"), None);
        let _ = list.approx_bytes();
    }
    if let Ok(v) = json::parse(data, &Limits::POLICY) {
        let _ = RevocationList::from_value(&v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;
    use crate::jwa::{self, Alg};
    use crate::jwk::Origin;
    use alloc::format;
    use alloc::string::ToString;
    use rand_chacha::rand_core::{RngCore, SeedableRng};

    const NOW: i64 = 1_800_000_000;
    const ISS: &str = "https://idp.example";

    /// The heapsort agrees with the standard sort: every length up to 40 and a few large ones,
    /// random values with many duplicates, sorted and reversed input.
    #[test]
    fn heap_sort_matches_the_standard_sort() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for len in (0..=40).chain([255, 256, 1000, 4097]) {
            let random: Vec<(u8, u32)> = (0..len)
                .map(|_| ((rng.next_u32() % 7) as u8, rng.next_u32() % 50))
                .collect();
            let ascending: Vec<(u8, u32)> = (0..len).map(|i| (0, i)).collect();
            let descending: Vec<(u8, u32)> = ascending.iter().rev().copied().collect();
            for input in [random, ascending, descending] {
                let mut want = input.clone();
                want.sort_unstable();
                let mut got = input;
                heap_sort(&mut got);
                assert_eq!(got, want, "length {len}");
            }
        }
        let mut strings = alloc::vec![String::from("b"), String::from("a"), String::from("b")];
        heap_sort(&mut strings);
        assert_eq!(strings, ["a", "b", "b"]);
    }

    /// Signing keys drawn at test time from a seeded RNG (never stored anywhere).
    struct Keys {
        ec: p256::ecdsa::SigningKey,
        ed: ed25519_dalek::SigningKey,
        other_ed: ed25519_dalek::SigningKey,
        secret: Vec<u8>,
        set: KeySet,
    }

    fn keys() -> Keys {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0x7e70_0c0d);
        let ec = p256::ecdsa::SigningKey::random(&mut rng);
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let ed = ed25519_dalek::SigningKey::from_bytes(&seed);
        rng.fill_bytes(&mut seed);
        let other_ed = ed25519_dalek::SigningKey::from_bytes(&seed);
        let mut secret = alloc::vec![0u8; 32];
        rng.fill_bytes(&mut secret);
        let point = ec.verifying_key().to_encoded_point(false);
        let jwks = format!(
            r#"{{"keys":[
              {{"kty":"EC","crv":"P-256","kid":"ec","alg":"ES256","x":"{}","y":"{}"}},
              {{"kty":"OKP","crv":"Ed25519","kid":"ed","alg":"EdDSA","x":"{}"}},
              {{"kty":"oct","kid":"mac","alg":"HS256","k":"{}"}}]}}"#,
            b64::encode(point.x().unwrap()),
            b64::encode(point.y().unwrap()),
            b64::encode(ed.verifying_key().as_bytes()),
            b64::encode(&secret),
        );
        let set = KeySet::from_jwks(jwks.as_bytes(), AlgSet::all(), Origin::Local).unwrap();
        assert_eq!(set.keys().len(), 3, "{:?}", set.skipped());
        Keys {
            ec,
            ed,
            other_ed,
            secret,
            set,
        }
    }

    impl Keys {
        fn sign(&self, alg: Alg, kid: &str, header_extra: &str, payload: &str) -> String {
            let header = format!(r#"{{"alg":"{}","kid":"{kid}"{header_extra}}}"#, alg.name());
            let input = format!(
                "{}.{}",
                b64::encode(header.as_bytes()),
                b64::encode(payload.as_bytes())
            );
            let sig = match alg {
                Alg::ES256 => {
                    use p256::ecdsa::signature::Signer;
                    let s: p256::ecdsa::Signature = self.ec.sign(input.as_bytes());
                    s.to_bytes().to_vec()
                }
                Alg::EdDSA => {
                    use ed25519_dalek::Signer;
                    let k = if kid == "other" {
                        &self.other_ed
                    } else {
                        &self.ed
                    };
                    k.sign(input.as_bytes()).to_bytes().to_vec()
                }
                _ => jwa::hmac_sign(alg, &self.secret, input.as_bytes()).unwrap(),
            };
            format!("{input}.{}", b64::encode(&sig))
        }

        fn bundle(&self, alg: Alg, kid: &str, payload: &str) -> String {
            self.sign(alg, kid, r#","typ":"edgeward-revocations+jwt""#, payload)
        }

        fn load(&self, bundle: &str, held: Option<u64>) -> Result<RevocationList, RevocationError> {
            RevocationList::from_bundle(
                bundle.as_bytes(),
                &self.set,
                AlgSet::all(),
                NOW,
                3600,
                held,
            )
        }
    }

    fn payload(seq: u64, iat: i64, extra: &str) -> String {
        format!(r#"{{"iat":{iat},"seq":{seq},"jti":[{{"iss":"{ISS}","jti":"gone"}}]{extra}}}"#)
    }

    fn inline(s: &str) -> Result<RevocationList, RevocationError> {
        RevocationList::from_value(&json::parse(s.as_bytes(), &Limits::POLICY).unwrap())
    }

    fn list() -> RevocationList {
        inline(&format!(
            r#"{{"jti":[{{"iss":"{ISS}","jti":"j1"}},{{"iss":"{ISS}","jti":"j1"}}],
                "subjects":[{{"iss":"{ISS}","sub":"alice","issued_before":1000}},
                            {{"iss":"{ISS}","sub":"alice","issued_before":500}}],
                "issuers":[{{"iss":"https://old.example","not_before":2000}}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn jti_entries_match_their_issuer_only() {
        let l = list();
        assert_eq!(l.jti_count(), 1, "duplicates merged");
        assert_eq!(
            l.check(Some(ISS), Some("j1"), None, Some(5)),
            Err(Revoked::Jti)
        );
        assert_eq!(
            l.check(Some(ISS), Some("j1"), Some("bob"), None),
            Err(Revoked::Jti)
        );
        assert_eq!(l.check(Some(ISS), Some("j2"), None, Some(5)), Ok(()));
        assert_eq!(
            l.check(Some("https://other"), Some("j1"), None, None),
            Ok(())
        );
        assert_eq!(
            l.check(None, Some("j1"), None, None),
            Ok(()),
            "no iss, no match"
        );
        assert_eq!(Revoked::Jti.code(), "jti");
    }

    #[test]
    fn subject_entries_use_iat_and_deny_without_it() {
        let l = list();
        assert_eq!(l.subject_count(), 1);
        // The later cut-off (1000) of the two entries wins.
        assert_eq!(
            l.check(Some(ISS), None, Some("alice"), Some(999)),
            Err(Revoked::Subject)
        );
        assert_eq!(l.check(Some(ISS), None, Some("alice"), Some(1000)), Ok(()));
        assert_eq!(
            l.check(Some(ISS), None, Some("alice"), None),
            Err(Revoked::Subject)
        );
        assert_eq!(l.check(Some(ISS), None, Some("bob"), None), Ok(()));
        assert_eq!(
            l.check(Some("https://other"), None, Some("alice"), None),
            Ok(())
        );
        assert_eq!(Revoked::Subject.code(), "subject");
    }

    #[test]
    fn issuer_epochs_use_iat_and_deny_without_it() {
        let l = list();
        let old = Some("https://old.example");
        assert_eq!(
            l.check(old, None, None, Some(1999)),
            Err(Revoked::IssuerEpoch)
        );
        assert_eq!(l.check(old, Some("j1"), Some("x"), Some(2000)), Ok(()));
        assert_eq!(l.check(old, None, None, None), Err(Revoked::IssuerEpoch));
        assert_eq!(
            l.check(Some("https://old.example/"), None, None, None),
            Ok(())
        );
        assert_eq!(Revoked::IssuerEpoch.code(), "issuer_epoch");
        // The first rule that denies is reported: issuer epoch, then subject, then jti.
        let both = inline(&format!(
            r#"{{"jti":[{{"iss":"{ISS}","jti":"j"}}],
                "subjects":[{{"iss":"{ISS}","sub":"s","issued_before":10}}],
                "issuers":[{{"iss":"{ISS}","not_before":5}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            both.check(Some(ISS), Some("j"), Some("s"), Some(1)),
            Err(Revoked::IssuerEpoch)
        );
        assert_eq!(
            both.check(Some(ISS), Some("j"), Some("s"), Some(7)),
            Err(Revoked::Subject)
        );
        assert_eq!(
            both.check(Some(ISS), Some("j"), Some("s"), Some(10)),
            Err(Revoked::Jti)
        );
    }

    #[test]
    fn hashes_keep_pairs_apart() {
        // Concatenations that agree must not collide: the issuer's length is hashed.
        let l = inline(r#"{"jti":[{"iss":"ab","jti":"c"}]}"#).unwrap();
        assert_eq!(l.check(Some("a"), Some("bc"), None, None), Ok(()));
        assert_eq!(
            l.check(Some("ab"), Some("c"), None, None),
            Err(Revoked::Jti)
        );
        // A jti entry does not revoke the subject of the same name, nor the reverse.
        assert_eq!(l.check(Some("ab"), None, Some("c"), None), Ok(()));
        assert_ne!(
            entry_hash(Kind::Jti, "i", "v"),
            entry_hash(Kind::Subject, "i", "v")
        );
    }

    #[test]
    fn inline_format_is_strict() {
        assert!(
            inline("{}").unwrap().is_fresh(i64::MAX, 0),
            "inline is always fresh"
        );
        assert_eq!(inline("{}").unwrap().seq(), None);
        for (bad, code) in [
            ("[]", "malformed"),
            (r#"{"jtis":[]}"#, "malformed"),
            (r#"{"jti":{}}"#, "malformed"),
            (r#"{"jti":[1]}"#, "malformed"),
            (r#"{"jti":[{"iss":"i"}]}"#, "malformed"),
            (r#"{"jti":[{"iss":"","jti":"j"}]}"#, "malformed"),
            (r#"{"jti":[{"iss":"i","jti":""}]}"#, "malformed"),
            (r#"{"jti":[{"iss":"i","jti":7}]}"#, "malformed"),
            (r#"{"jti":[{"iss":"i","jti":"j","exp":1}]}"#, "malformed"),
            (r#"{"subjects":[{"iss":"i","sub":"s"}]}"#, "malformed"),
            (
                r#"{"subjects":[{"iss":"i","sub":"s","issued_before":1.5}]}"#,
                "malformed",
            ),
            (
                r#"{"subjects":[{"iss":"i","sub":"s","issued_before":-1}]}"#,
                "malformed",
            ),
            (
                r#"{"subjects":[{"iss":"i","sub":"s","issued_before":"1"}]}"#,
                "malformed",
            ),
            (r#"{"issuers":[{"iss":"i","not_before":1e3}]}"#, "malformed"),
            (r#"{"issuers":[{"iss":"i"}]}"#, "malformed"),
            (r#"{"iat":1,"seq":1}"#, "malformed"),
        ] {
            assert_eq!(inline(bad).map(|_| ()).unwrap_err().code(), code, "{bad}");
        }
        let long = "x".repeat(MAX_STRING + 1);
        let e = inline(&format!(r#"{{"jti":[{{"iss":"i","jti":"{long}"}}]}}"#)).unwrap_err();
        assert_eq!(e, RevocationError::TooLarge("string"));
    }

    #[test]
    fn caps_on_issuers_and_entries() {
        let many: Vec<String> = (0..=MAX_ISSUERS)
            .map(|i| format!(r#"{{"iss":"i{i}","not_before":1}}"#))
            .collect();
        let doc = format!(r#"{{"issuers":[{}]}}"#, many.join(","));
        assert_eq!(
            inline(&doc).unwrap_err(),
            RevocationError::TooLarge("issuers")
        );
        // The entry cap, through the builder directly (a 1M-entry document is slow to build).
        let mut b = Builder::default();
        b.jti.resize(MAX_ENTRIES, [0u8; 16]);
        let e = json::parse(br#"{"iss":"i","jti":"j"}"#, &ENTRY_LIMITS).unwrap();
        assert_eq!(
            b.add(ListKind::Jti, &e),
            Err(RevocationError::TooLarge("entries"))
        );
        b.jti.pop();
        assert_eq!(b.add(ListKind::Jti, &e), Ok(()));
    }

    #[test]
    fn signed_bundles_load_with_every_key_kind() {
        let k = keys();
        for (alg, kid) in [(Alg::ES256, "ec"), (Alg::EdDSA, "ed"), (Alg::HS256, "mac")] {
            let l = k
                .load(&k.bundle(alg, kid, &payload(7, NOW - 10, "")), None)
                .unwrap();
            assert_eq!(l.seq(), Some(7));
            assert_eq!(l.issued_at(), Some(NOW - 10));
            assert_eq!(
                l.check(Some(ISS), Some("gone"), None, Some(1)),
                Err(Revoked::Jti)
            );
            assert_eq!(l.check(Some(ISS), Some("kept"), None, Some(1)), Ok(()));
        }
        // typ compared as RFC 7515 says; whitespace around the bundle (a file's newline) is fine.
        let b = k.sign(
            Alg::EdDSA,
            "ed",
            r#","typ":"application/Edgeward-Revocations+JWT""#,
            &payload(1, NOW, ""),
        );
        assert!(k.load(&format!("{b}\n"), None).is_ok());
    }

    #[test]
    fn sequence_replay_is_refused() {
        let k = keys();
        let b = k.bundle(Alg::EdDSA, "ed", &payload(7, NOW, ""));
        assert!(k.load(&b, Some(6)).is_ok());
        assert!(
            k.load(&b, Some(7)).is_ok(),
            "the same list again (a refresh) is accepted"
        );
        assert_eq!(k.load(&b, Some(8)), Err(RevocationError::ReplayedSequence));
        assert_eq!(
            RevocationError::ReplayedSequence.code(),
            "replayed_sequence"
        );
        let huge = k.bundle(Alg::EdDSA, "ed", &payload(u64::MAX, NOW, ""));
        assert_eq!(k.load(&huge, Some(u64::MAX)).unwrap().seq(), Some(u64::MAX));
    }

    #[test]
    fn freshness_staleness_and_expiry() {
        let k = keys();
        let ok = k
            .load(
                &k.bundle(Alg::EdDSA, "ed", &payload(1, NOW - 100, "")),
                None,
            )
            .unwrap();
        assert!(ok.is_fresh(NOW, 3600));
        assert!(ok.is_fresh(NOW - 100 + 3600, 3600));
        assert!(!ok.is_fresh(NOW - 100 + 3601, 3600));
        let stale = k.bundle(Alg::EdDSA, "ed", &payload(1, NOW - 3601, ""));
        assert_eq!(k.load(&stale, None), Err(RevocationError::Stale));
        let future = k.bundle(Alg::EdDSA, "ed", &payload(1, NOW + MAX_FUTURE_SKEW + 1, ""));
        assert_eq!(k.load(&future, None), Err(RevocationError::IssuedInFuture));
        let skewed = k.bundle(Alg::EdDSA, "ed", &payload(1, NOW + MAX_FUTURE_SKEW, ""));
        assert!(k.load(&skewed, None).is_ok());
        let expired = k.bundle(
            Alg::EdDSA,
            "ed",
            &payload(1, NOW - 10, r#","exp":1800000000"#),
        );
        assert_eq!(k.load(&expired, None), Err(RevocationError::Expired));
        let exp = k.bundle(
            Alg::EdDSA,
            "ed",
            &payload(1, NOW - 10, r#","exp":1800000060"#),
        );
        let l = k.load(&exp, None).unwrap();
        assert_eq!(l.expires_at(), Some(NOW + 60));
        assert!(l.is_fresh(NOW + 59, 3600) && !l.is_fresh(NOW + 60, 3600));
    }

    #[test]
    fn bundle_payload_rules() {
        let k = keys();
        let load = |p: &str| k.load(&k.bundle(Alg::EdDSA, "ed", p), None).map(|_| ());
        for (bad, code) in [
            (r#"{"seq":1,"jti":[]}"#, "malformed"),
            (r#"{"iat":1800000000,"jti":[]}"#, "malformed"),
            (r#"{"iat":1800000000,"seq":-1}"#, "malformed"),
            (r#"{"iat":1800000000,"seq":1.0}"#, "malformed"),
            (r#"{"iat":1800000000,"seq":"1"}"#, "malformed"),
            (r#"{"iat":1800000000,"seq":1,"seq":2}"#, "malformed"),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[],"jti":[]}"#,
                "malformed",
            ),
            (r#"{"iat":1800000000,"seq":1,"extra":[]}"#, "malformed"),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[{"iss":"i","jti":"j"},]}"#,
                "malformed",
            ),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[{"iss":"i","jti":"j"}]} x"#,
                "malformed",
            ),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[{"iss":"i","jti":"j"]}"#,
                "malformed",
            ),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[{"iss":"i","iss":"j"}]}"#,
                "malformed",
            ),
            (
                r#"{"iat":1800000000,"seq":1,"jti":[[[[[[[[[[]]]]]]]]]]}"#,
                "malformed",
            ),
            (r#"{"iat":1800000000,"seq":1,"jti":["\"]}"#, "malformed"),
            (r#"{"iat":1800000000,"seq":1,"jti":{}}"#, "malformed"),
            (
                r#"{"iat":1800000000,"seq":1,"subjects":[{"iss":"i","sub":"s"}]}"#,
                "malformed",
            ),
            (r#"{"iat":1800000000,"seq":1"#, "malformed"),
            ("[]", "malformed"),
            ("", "malformed"),
        ] {
            assert_eq!(load(bad).unwrap_err().code(), code, "{bad}");
        }
        // Whitespace and escapes anywhere JSON allows them, and the same entries as inline.
        let p = " {\n \"iat\" : 1800000000 , \"seq\":2,\"subjects\" : [ {\"iss\":\"i\\u0031\",\
                 \"sub\":\"a\\\"]}\",\"issued_before\":9} ] ,\"issuers\":[],\"jti\":[]} \n";
        let l = k.load(&k.bundle(Alg::EdDSA, "ed", p), None).unwrap();
        assert_eq!(
            l.check(Some("i1"), None, Some("a\"]}"), Some(8)),
            Err(Revoked::Subject)
        );
        let long = "x".repeat(MAX_STRING + 1);
        let p = format!(r#"{{"iat":1800000000,"seq":1,"jti":[{{"iss":"i","jti":"{long}"}}]}}"#);
        assert_eq!(load(&p).unwrap_err().code(), "too_large");
    }

    #[test]
    fn tampered_wrong_key_and_wrong_typ_bundles_are_refused() {
        let k = keys();
        let good = k.bundle(Alg::ES256, "ec", &payload(1, NOW, ""));
        // Any changed payload byte breaks the signature.
        let (head, rest) = good.split_once('.').unwrap();
        let (body, sig) = rest.split_once('.').unwrap();
        let forged = payload(1, NOW, "").replace("gone", "kept");
        let tampered = format!("{head}.{}.{sig}", b64::encode(forged.as_bytes()));
        assert_eq!(k.load(&tampered, None), Err(RevocationError::Signature));
        let mut sig_bytes = b64::decode(sig).unwrap();
        sig_bytes[0] ^= 1;
        let flipped = format!("{head}.{body}.{}", b64::encode(&sig_bytes));
        assert_eq!(k.load(&flipped, None), Err(RevocationError::Signature));
        // Signed by a key that is not configured, under a configured kid.
        let other = k.bundle(Alg::EdDSA, "other", &payload(1, NOW, ""));
        assert_eq!(k.load(&other, None), Err(RevocationError::KeyNotFound));
        let relabelled = other.replacen(
            head_of(&other),
            &b64::encode(br#"{"alg":"EdDSA","kid":"ed","typ":"edgeward-revocations+jwt"}"#),
            1,
        );
        assert_eq!(k.load(&relabelled, None), Err(RevocationError::Signature));
        // An access token signed by the same key is not a bundle.
        for extra in ["", r#","typ":"JWT""#] {
            let t = k.sign(Alg::EdDSA, "ed", extra, &payload(1, NOW, ""));
            assert_eq!(k.load(&t, None), Err(RevocationError::WrongTyp));
        }
        // A key in the bundle's header is never used: signed by the other key, which the
        // header carries as `jwk`, under the configured kid.
        let header = format!(
            r#"{{"alg":"EdDSA","kid":"ed","typ":"edgeward-revocations+jwt","jwk":{{"kty":"OKP","crv":"Ed25519","x":"{}"}}}}"#,
            b64::encode(k.other_ed.verifying_key().as_bytes())
        );
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(payload(1, NOW, "").as_bytes())
        );
        let sig = {
            use ed25519_dalek::Signer;
            k.other_ed.sign(input.as_bytes()).to_bytes()
        };
        let t = format!("{input}.{}", b64::encode(&sig));
        assert_eq!(k.load(&t, None), Err(RevocationError::Signature));
        // alg none, and garbage.
        let none = format!(
            "{}.{}.",
            b64::encode(br#"{"alg":"none","typ":"edgeward-revocations+jwt"}"#),
            b64::encode(payload(1, NOW, "").as_bytes())
        );
        assert_eq!(k.load(&none, None), Err(RevocationError::AlgNotAllowed));
        assert_eq!(k.load("a.b", None).unwrap_err().code(), "malformed");
        assert_eq!(
            RevocationList::from_bundle(b"\xff.a.b", &k.set, AlgSet::all(), NOW, 60, None)
                .unwrap_err()
                .code(),
            "malformed"
        );
    }

    fn head_of(t: &str) -> &str {
        t.split('.').next().unwrap()
    }

    #[test]
    fn key_type_is_bound_to_alg() {
        let k = keys();
        // HS256 under the EC key's kid: the key is bound to ES256.
        let confused = k.bundle(Alg::HS256, "ec", &payload(1, NOW, ""));
        assert_eq!(k.load(&confused, None), Err(RevocationError::AlgNotAllowed));
        // An HMAC over the EC public key's bytes (the classic confusion), with no kid.
        let point = k.ec.verifying_key().to_encoded_point(false);
        let header = br#"{"alg":"HS256","typ":"edgeward-revocations+jwt"}"#;
        let input = format!(
            "{}.{}",
            b64::encode(header),
            b64::encode(payload(1, NOW, "").as_bytes())
        );
        let tag = jwa::hmac_sign(Alg::HS256, point.as_bytes(), input.as_bytes()).unwrap();
        let forged = format!("{input}.{}", b64::encode(&tag));
        assert_eq!(k.load(&forged, None), Err(RevocationError::Signature));
        // The allow-list is the caller's: an EdDSA-only list refuses HS256 and ES256 bundles.
        let ed_only = AlgSet::one(Alg::EdDSA);
        for (alg, kid) in [(Alg::HS256, "mac"), (Alg::ES256, "ec")] {
            let b = k.bundle(alg, kid, &payload(1, NOW, ""));
            let r = RevocationList::from_bundle(b.as_bytes(), &k.set, ed_only, NOW, 60, None);
            assert_eq!(r, Err(RevocationError::AlgNotAllowed), "{alg:?}");
        }
    }

    #[test]
    fn size_cap_comes_first() {
        let k = keys();
        let big = alloc::vec![b'a'; MAX_BUNDLE_BYTES + 1];
        let r = RevocationList::from_bundle(&big, &k.set, AlgSet::all(), NOW, 60, None);
        assert_eq!(r, Err(RevocationError::TooLarge("bundle")));
        assert_eq!(
            r.unwrap_err().to_string(),
            "revocation list too_large: bundle"
        );
    }

    #[test]
    fn memory_per_entry_is_fixed() {
        let jti: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"iss":"{ISS}","jti":"{}-{i}"}}"#, "long".repeat(50)))
            .collect();
        let l = inline(&format!(r#"{{"jti":[{}]}}"#, jti.join(","))).unwrap();
        assert_eq!(l.jti_count(), 1000);
        let fixed = core::mem::size_of::<RevocationList>();
        assert_eq!(l.approx_bytes(), fixed + 16 * 1000);
        assert_eq!(RevocationList::empty().approx_bytes(), fixed);
    }

    #[test]
    fn every_error_code_is_distinct() {
        let all = [
            RevocationError::TooLarge(""),
            RevocationError::Malformed(""),
            RevocationError::WrongTyp,
            RevocationError::AlgNotAllowed,
            RevocationError::KeyNotFound,
            RevocationError::Signature,
            RevocationError::IssuedInFuture,
            RevocationError::Stale,
            RevocationError::Expired,
            RevocationError::ReplayedSequence,
        ];
        let codes: Vec<&str> = all.iter().map(|e| e.code()).collect();
        assert_eq!(
            codes,
            [
                "too_large",
                "malformed",
                "wrong_typ",
                "alg_not_allowed",
                "key_not_found",
                "signature",
                "issued_in_future",
                "stale",
                "expired",
                "replayed_sequence"
            ]
        );
        assert_eq!(RevocationError::Stale.to_string(), "revocation list stale");
        assert_eq!(Revoked::Jti.to_string(), "token revoked (jti)");
    }
}
