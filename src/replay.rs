//! `jti` replay caches, pure and host-neutral: the host supplies the time and, for the shared
//! variant, the storage.
//!
//! Keys are 16 bytes: SHA-256 of (scope, `jti`) truncated ([`replay_key`]), where the scope is
//! the `DPoP` proof key's thumbprint (`jkt`) for proofs or the issuer for one-time access
//! tokens. Caches only remember; they never evict a live entry: when full they refuse, and
//! the host answers the request with a rejection. A replay cache is an extra on top of server
//! nonces and the `iat` window (RFC 9449 section 11.1), never the only control.
//!
//! - [`ReplayCache`]: one process's memory (an Envoy VM, an edge isolate). At the edge it is
//!   per isolate, so best-effort: a replay routed to another isolate is not seen.
//! - The bucket ring ([`BucketRing`], [`bucket_insert`]): for Envoy shared data, which offers
//!   only `get` (with a CAS token) and `set` with CAS, and no delete or expiry. A fixed ring of
//!   N bucket keys, created in advance, each holding the entries of one time slot; the host
//!   reads a bucket, computes the new content with [`BucketRing::insert`] and writes it with
//!   CAS, retrying from the read on a CAS mismatch. Memory is bounded by
//!   [`BucketRing::memory_bound`]: N x ([`BUCKET_HEADER_BYTES`] + capacity x 16) bytes.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};

/// Why an insert was refused. Every variant means: reject the request.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplayError {
    /// The key is already present and live: a replay.
    Replayed,
    /// The cache (or bucket) is full of live entries; nothing is evicted.
    Full,
    /// The entry would outlive the cache's window, or its time slot is outside the ring (too
    /// old, in the future, or its bucket already holds a newer slot): it cannot be tracked.
    OutOfWindow,
    /// A bucket's bytes do not parse: fail closed (the host rejects; it does not overwrite).
    Malformed,
}

impl ReplayError {
    /// Stable `snake_case` code.
    pub const fn code(self) -> &'static str {
        match self {
            ReplayError::Replayed => "replayed",
            ReplayError::Full => "replay_cache_full",
            ReplayError::OutOfWindow => "replay_out_of_window",
            ReplayError::Malformed => "replay_bucket_malformed",
        }
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The 16-byte cache key for `jti` within `scope` (a proof key thumbprint or an issuer):
/// the first 16 bytes of SHA-256(label, length of scope, scope, jti). The length prefix keeps
/// (`ab`, `c`) and (`a`, `bc`) apart.
pub fn replay_key(scope: &str, jti: &str) -> [u8; 16] {
    let mut h = Sha256::new();
    h.update(b"edgeward replay v1\0");
    h.update(u64::try_from(scope.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(scope.as_bytes());
    h.update(jti.as_bytes());
    let digest = h.finalize();
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest.iter()) {
        *k = *d;
    }
    key
}

/// An in-memory replay cache bounded in entries and in time.
///
/// Each live entry costs its key and expiry twice (a map by key and a set by expiry, so that
/// expired entries are dropped in order) plus B-tree overhead: about 100 bytes; a cache of
/// 100 000 entries stays near 10 MB.
#[derive(Clone, Debug)]
pub struct ReplayCache {
    by_key: BTreeMap<[u8; 16], i64>,
    by_expiry: BTreeSet<(i64, [u8; 16])>,
    max_entries: usize,
    window_seconds: i64,
}

impl ReplayCache {
    /// A cache holding at most `max_entries` live entries, each for at most `window_seconds`.
    pub fn new(max_entries: usize, window_seconds: i64) -> ReplayCache {
        ReplayCache {
            by_key: BTreeMap::new(),
            by_expiry: BTreeSet::new(),
            max_entries,
            window_seconds: window_seconds.max(0),
        }
    }

    /// Live entries (after the last purge).
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The entry limit.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Drops the entries expired at `now` (expiry <= now).
    pub fn purge(&mut self, now: i64) {
        while let Some(&(expires, key)) = self.by_expiry.first() {
            if expires > now {
                break;
            }
            self.by_expiry.remove(&(expires, key));
            self.by_key.remove(&key);
        }
    }

    /// Remembers `key` until `expires_at` unless it is already remembered.
    ///
    /// An entry already expired at `now` is not stored (a proof that old is refused by its
    /// `iat` window anyway) and the call succeeds.
    ///
    /// # Errors
    /// - [`ReplayError::Replayed`]: `key` is present and live.
    /// - [`ReplayError::OutOfWindow`]: `expires_at` is more than the window after `now` (the
    ///   entry is refused, never kept for a shorter time).
    /// - [`ReplayError::Full`]: `max_entries` live entries are held (none is evicted).
    pub fn insert_if_absent(
        &mut self,
        key: [u8; 16],
        expires_at: i64,
        now: i64,
    ) -> Result<(), ReplayError> {
        self.purge(now);
        if self.by_key.contains_key(&key) {
            return Err(ReplayError::Replayed);
        }
        if expires_at <= now {
            return Ok(());
        }
        if expires_at > now.saturating_add(self.window_seconds) {
            return Err(ReplayError::OutOfWindow);
        }
        if self.by_key.len() >= self.max_entries {
            return Err(ReplayError::Full);
        }
        self.by_key.insert(key, expires_at);
        self.by_expiry.insert((expires_at, key));
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Envoy shared data: a ring of time-slot buckets

/// The magic that starts every bucket.
pub const BUCKET_MAGIC: [u8; 4] = *b"EWR1";
/// Bytes before the entries: magic and the slot number (u64, big-endian).
pub const BUCKET_HEADER_BYTES: usize = 12;
/// The largest bucket capacity accepted (1 MiB of entries).
pub const MAX_BUCKET_CAPACITY: usize = 65_536;

/// A fixed ring of `len` shared-data buckets named `prefix` + index, each holding the keys of
/// one time slot of `slot_seconds`. An entry goes to the bucket of the slot of its proof's
/// (or token's) `iat`, so every replay of one proof lands in the same bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketRing {
    prefix: String,
    len: u64,
    slot_seconds: i64,
    capacity: usize,
}

impl BucketRing {
    /// A ring of `len` (>= 2) buckets of `slot_seconds` (>= 1) holding up to `capacity`
    /// (1..=[`MAX_BUCKET_CAPACITY`]) keys each. `None` otherwise.
    pub fn new(prefix: &str, len: u64, slot_seconds: i64, capacity: usize) -> Option<BucketRing> {
        if len < 2 || slot_seconds < 1 || capacity == 0 || capacity > MAX_BUCKET_CAPACITY {
            return None;
        }
        Some(BucketRing {
            prefix: String::from(prefix),
            len,
            slot_seconds,
            capacity,
        })
    }

    /// The smallest ring that tracks every `iat` in `[now - past_seconds, now +
    /// future_seconds]`: `ceil(past / slot) + 2` buckets. `None` if `future_seconds` exceeds
    /// `slot_seconds` (an entry may be at most one slot ahead) or the other arguments are out
    /// of range.
    pub fn for_window(
        prefix: &str,
        past_seconds: i64,
        future_seconds: i64,
        slot_seconds: i64,
        capacity: usize,
    ) -> Option<BucketRing> {
        if past_seconds < 0 || future_seconds < 0 || slot_seconds < 1 {
            return None;
        }
        if future_seconds > slot_seconds {
            return None;
        }
        let slots = u64::try_from(past_seconds.div_euclid(slot_seconds)).ok()?
            + u64::from(past_seconds.rem_euclid(slot_seconds) != 0);
        BucketRing::new(prefix, slots.checked_add(2)?, slot_seconds, capacity)
    }

    /// Number of buckets.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Always false: a ring has at least two buckets.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Seconds per slot (per bucket).
    pub fn slot_seconds(&self) -> i64 {
        self.slot_seconds
    }

    /// Most keys per bucket.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The slot of Unix time `t` (times before 1970 are slot 0).
    pub fn slot(&self, t: i64) -> u64 {
        u64::try_from(t.div_euclid(self.slot_seconds)).unwrap_or(0)
    }

    /// The shared-data key of the bucket for `slot`.
    pub fn bucket_key(&self, slot: u64) -> String {
        bucket_key(&self.prefix, slot, self.len)
    }

    /// Every bucket key, to create in advance.
    pub fn bucket_keys(&self) -> Vec<String> {
        (0..self.len)
            .map(|i| alloc::format!("{}{i}", self.prefix))
            .collect()
    }

    /// The most bytes the ring's buckets can hold together.
    pub fn memory_bound(&self) -> usize {
        let per_bucket = BUCKET_HEADER_BYTES.saturating_add(self.capacity.saturating_mul(16));
        usize::try_from(self.len)
            .unwrap_or(usize::MAX)
            .saturating_mul(per_bucket)
    }

    /// The new content of the bucket [`BucketRing::bucket_key`]`(self.slot(at))` after adding
    /// `key`, given its current content `bytes` (empty for a bucket never written).
    ///
    /// # Errors
    /// - [`ReplayError::OutOfWindow`]: `at`'s slot is older than the ring covers at `now`, or
    ///   more than one slot ahead.
    /// - Those of [`bucket_insert`].
    pub fn insert(
        &self,
        bytes: &[u8],
        key: [u8; 16],
        at: i64,
        now: i64,
    ) -> Result<Vec<u8>, ReplayError> {
        let slot = self.slot(at);
        let now_slot = self.slot(now);
        // Live slots are now_slot - (len - 2) ..= now_slot + 1: `len` of them, one per bucket.
        if now_slot.saturating_sub(slot) > self.len - 2 {
            return Err(ReplayError::OutOfWindow);
        }
        bucket_insert(bytes, key, slot, now_slot, self.capacity)
    }
}

/// The shared-data key of the bucket for `slot` in a ring of `ring_len` buckets named
/// `prefix` + index.
pub fn bucket_key(prefix: &str, slot: u64, ring_len: u64) -> String {
    alloc::format!("{prefix}{}", slot.checked_rem(ring_len).unwrap_or(0))
}

/// The content of a bucket with `key` added for `slot`, from its current `bytes`.
///
/// A bucket is [`BUCKET_MAGIC`], its slot (u64 big-endian) and its keys in ascending order,
/// 16 bytes each. Empty `bytes` is an empty bucket. A bucket holding an older slot is stale
/// and starts over with `key` alone.
///
/// # Errors
/// - [`ReplayError::Replayed`]: `key` is in the bucket for this slot.
/// - [`ReplayError::Full`]: the bucket holds `capacity` keys for this slot.
/// - [`ReplayError::OutOfWindow`]: `slot` is more than one slot after `now_slot`, or the
///   bucket already holds a newer slot (this entry's slot has been recycled).
/// - [`ReplayError::Malformed`]: `bytes` is not a bucket (wrong magic, a partial key, keys not
///   strictly ascending, more than `capacity` keys). The host must reject the request and
///   leave the bucket alone: an attacker who could corrupt shared data must not be able to
///   reset it.
pub fn bucket_insert(
    bytes: &[u8],
    key: [u8; 16],
    slot: u64,
    now_slot: u64,
    capacity: usize,
) -> Result<Vec<u8>, ReplayError> {
    if slot > now_slot.saturating_add(1) {
        return Err(ReplayError::OutOfWindow);
    }
    let mut keys: Vec<[u8; 16]> = Vec::new();
    if !bytes.is_empty() {
        let (stored_slot, stored) = parse_bucket(bytes, capacity)?;
        if stored_slot > slot {
            return Err(ReplayError::OutOfWindow);
        }
        if stored_slot == slot {
            keys = stored;
        }
    }
    let Err(at) = keys.binary_search(&key) else {
        return Err(ReplayError::Replayed);
    };
    if keys.len() >= capacity {
        return Err(ReplayError::Full);
    }
    keys.insert(at, key);
    let mut out =
        Vec::with_capacity(BUCKET_HEADER_BYTES.saturating_add(keys.len().saturating_mul(16)));
    out.extend_from_slice(&BUCKET_MAGIC);
    out.extend_from_slice(&slot.to_be_bytes());
    for k in &keys {
        out.extend_from_slice(k);
    }
    Ok(out)
}

/// Parses a non-empty bucket into its slot and keys.
fn parse_bucket(bytes: &[u8], capacity: usize) -> Result<(u64, Vec<[u8; 16]>), ReplayError> {
    let bad = ReplayError::Malformed;
    let (header, body) = (
        bytes.get(..BUCKET_HEADER_BYTES).ok_or(bad)?,
        bytes.get(BUCKET_HEADER_BYTES..).ok_or(bad)?,
    );
    if header.get(..4) != Some(&BUCKET_MAGIC[..]) {
        return Err(bad);
    }
    let slot_bytes: [u8; 8] = header
        .get(4..12)
        .and_then(|s| s.try_into().ok())
        .ok_or(bad)?;
    if body.len() % 16 != 0 || body.len() / 16 > capacity {
        return Err(bad);
    }
    let mut keys: Vec<[u8; 16]> = Vec::with_capacity(body.len() / 16);
    for chunk in body.chunks_exact(16) {
        let k: [u8; 16] = chunk.try_into().map_err(|_| bad)?;
        if keys.last().is_some_and(|prev| *prev >= k) {
            return Err(bad);
        }
        keys.push(k);
    }
    Ok((u64::from_be_bytes(slot_bytes), keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u8) -> [u8; 16] {
        [n; 16]
    }

    #[test]
    fn keys_separate_scope_and_jti() {
        assert_ne!(replay_key("ab", "c"), replay_key("a", "bc"));
        assert_ne!(replay_key("jkt1", "j"), replay_key("jkt2", "j"));
        assert_eq!(replay_key("s", "j"), replay_key("s", "j"));
    }

    #[test]
    fn cache_detects_replays_and_expires() {
        let mut c = ReplayCache::new(4, 300);
        assert_eq!(c.insert_if_absent(k(1), 1100, 1000), Ok(()));
        assert_eq!(
            c.insert_if_absent(k(1), 1100, 1050),
            Err(ReplayError::Replayed)
        );
        assert_eq!(
            c.insert_if_absent(k(1), 1100, 1099),
            Err(ReplayError::Replayed)
        );
        // Expired at its expiry: accepted again (the iat window refuses such a proof).
        assert_eq!(c.insert_if_absent(k(1), 1200, 1100), Ok(()));
        assert_eq!(c.len(), 1);
        // Already expired: nothing stored.
        assert_eq!(c.insert_if_absent(k(2), 1000, 1100), Ok(()));
        assert_eq!(c.len(), 1);
        // Beyond the window: refused, not shortened.
        assert_eq!(
            c.insert_if_absent(k(3), 1100 + 301, 1100),
            Err(ReplayError::OutOfWindow)
        );
        assert_eq!(c.insert_if_absent(k(3), 1100 + 300, 1100), Ok(()));
    }

    #[test]
    fn a_full_cache_rejects_and_never_evicts() {
        let mut c = ReplayCache::new(3, 2000);
        for i in 0..3 {
            assert_eq!(c.insert_if_absent(k(i), 2000 + i64::from(i), 1000), Ok(()));
        }
        assert_eq!(c.insert_if_absent(k(9), 1500, 1000), Err(ReplayError::Full));
        // The live entries are all still there.
        for i in 0..3 {
            assert_eq!(
                c.insert_if_absent(k(i), 2500, 1001),
                Err(ReplayError::Replayed)
            );
        }
        // Once one expires, there is room again.
        assert_eq!(c.insert_if_absent(k(9), 2500, 2000), Ok(()));
        assert_eq!(c.len(), 3);
        let mut zero = ReplayCache::new(0, 10);
        assert_eq!(zero.insert_if_absent(k(1), 5, 1), Err(ReplayError::Full));
        assert!(zero.is_empty());
    }

    #[test]
    fn cache_survives_extreme_times() {
        let mut c = ReplayCache::new(8, i64::MAX);
        assert_eq!(
            c.insert_if_absent(k(1), i64::MAX, i64::MIN),
            Err(ReplayError::OutOfWindow)
        );
        assert_eq!(c.insert_if_absent(k(1), i64::MAX, 0), Ok(()));
        assert_eq!(
            c.insert_if_absent(k(1), i64::MAX, 0),
            Err(ReplayError::Replayed)
        );
        // At the end of time everything has expired.
        assert_eq!(c.insert_if_absent(k(2), i64::MIN, i64::MAX), Ok(()));
        assert!(c.is_empty());
    }

    fn ring() -> BucketRing {
        // 300 s back, 5 s ahead, 60 s slots: ceil(300/60) + 2 = 7 buckets.
        BucketRing::for_window("ew:replay:", 300, 5, 60, 3).unwrap()
    }

    #[test]
    fn ring_shape_and_memory_bound() {
        let r = ring();
        assert_eq!(r.len(), 7);
        assert_eq!(
            r.bucket_keys(),
            (0..7)
                .map(|i| alloc::format!("ew:replay:{i}"))
                .collect::<Vec<_>>()
        );
        assert_eq!(r.memory_bound(), 7 * (12 + 3 * 16));
        assert_eq!(BucketRing::for_window("p", 301, 5, 60, 3).unwrap().len(), 8);
        assert_eq!(BucketRing::for_window("p", 0, 0, 60, 3).unwrap().len(), 2);
        assert!(BucketRing::for_window("p", 300, 61, 60, 3).is_none());
        assert!(BucketRing::new("p", 1, 60, 3).is_none());
        assert!(BucketRing::new("p", 4, 0, 3).is_none());
        assert!(BucketRing::new("p", 4, 60, 0).is_none());
        assert!(BucketRing::new("p", 4, 60, MAX_BUCKET_CAPACITY + 1).is_none());
        assert_eq!(r.slot(-5), 0);
        assert_eq!(r.slot(119), 1);
        assert!(!r.is_empty());
        assert_eq!(r.capacity(), 3);
    }

    #[test]
    fn ring_wraps_around() {
        let r = ring();
        // Slots 7 apart share a bucket; neighbours do not.
        assert_eq!(r.bucket_key(3), r.bucket_key(10));
        assert_eq!(
            r.bucket_key(u64::MAX),
            alloc::format!("ew:replay:{}", u64::MAX % 7)
        );
        let keys: BTreeSet<String> = (100..107).map(|s| r.bucket_key(s)).collect();
        assert_eq!(keys.len(), 7);
        assert_eq!(bucket_key("p", 5, 0), "p0");
    }

    #[test]
    fn buckets_detect_replays_fill_up_and_reset_when_stale() {
        let r = ring();
        let now = 60 * 100 + 30; // slot 100
        let b = r.insert(&[], k(5), now, now).unwrap();
        assert_eq!(b.len(), 12 + 16);
        assert_eq!(&b[..4], b"EWR1");
        assert_eq!(r.insert(&b, k(5), now, now), Err(ReplayError::Replayed));
        let b = r.insert(&b, k(1), now - 10, now).unwrap();
        let b = r.insert(&b, k(9), now, now).unwrap();
        // Sorted content.
        assert_eq!(&b[12..28], &k(1));
        assert_eq!(&b[44..60], &k(9));
        assert_eq!(r.insert(&b, k(7), now, now), Err(ReplayError::Full));
        assert_eq!(r.insert(&b, k(9), now, now), Err(ReplayError::Replayed));
        // Seven slots later the same bucket key serves slot 107: the old content is stale and
        // reset, so the old keys are forgotten only once their slot left the window.
        let later = now + 7 * 60;
        assert_eq!(r.bucket_key(r.slot(later)), r.bucket_key(r.slot(now)));
        let b2 = r.insert(&b, k(5), later, later).unwrap();
        assert_eq!(b2.len(), 12 + 16);
        assert_eq!(&b2[4..12], &107u64.to_be_bytes());
        // An entry of slot 100 against the bucket now holding 107: its slot was recycled.
        assert_eq!(
            bucket_insert(&b2, k(6), 100, 100, 3),
            Err(ReplayError::OutOfWindow)
        );
    }

    #[test]
    fn ring_window_limits() {
        let r = ring();
        let now = 60 * 100; // slot 100; live slots 95..=101
        assert!(r.insert(&[], k(1), now - 300, now).is_ok()); // slot 95
        assert_eq!(
            r.insert(&[], k(1), now - 301, now),
            Err(ReplayError::OutOfWindow)
        ); // slot 94
        assert!(r.insert(&[], k(1), now + 60, now).is_ok()); // slot 101
        assert_eq!(
            r.insert(&[], k(1), now + 120, now),
            Err(ReplayError::OutOfWindow)
        ); // slot 102
           // Every iat the DPoP window accepts (300 s back, 5 s ahead) fits, at any phase.
        for phase in 0..60 {
            let t = now + phase;
            for iat in [t - 300, t, t + 5] {
                assert!(r.insert(&[], k(1), iat, t).is_ok(), "{phase} {iat}");
            }
        }
    }

    #[test]
    fn malformed_buckets_fail_closed() {
        let good = bucket_insert(&[], k(2), 5, 5, 4).unwrap();
        let good = bucket_insert(&good, k(4), 5, 5, 4).unwrap();
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        let mut unsorted = good.clone();
        unsorted[12..28].copy_from_slice(&k(9));
        let mut duplicate = good.clone();
        duplicate[28..44].copy_from_slice(&k(2));
        let partial = &good[..good.len() - 1];
        let cases: [&[u8]; 6] = [
            &bad_magic,
            &unsorted,
            &duplicate,
            partial,
            &good[..11],
            b"EWR1",
        ];
        for c in cases {
            assert_eq!(
                bucket_insert(c, k(3), 5, 5, 4),
                Err(ReplayError::Malformed),
                "{c:?}"
            );
        }
        // More keys than the capacity the host configured.
        assert_eq!(
            bucket_insert(&good, k(3), 5, 5, 1),
            Err(ReplayError::Malformed)
        );
        // A bare header is an empty bucket of that slot.
        assert_eq!(bucket_insert(&good[..12], k(3), 5, 5, 4).unwrap().len(), 28);
        // A future slot is refused.
        assert_eq!(
            bucket_insert(&[], k(3), 7, 5, 4),
            Err(ReplayError::OutOfWindow)
        );
        assert_eq!(
            bucket_insert(&[], k(3), u64::MAX, u64::MAX, 4).map(|b| b.len()),
            Ok(28)
        );
    }

    #[test]
    fn error_codes() {
        for (e, c) in [
            (ReplayError::Replayed, "replayed"),
            (ReplayError::Full, "replay_cache_full"),
            (ReplayError::OutOfWindow, "replay_out_of_window"),
            (ReplayError::Malformed, "replay_bucket_malformed"),
        ] {
            assert_eq!(e.code(), c);
            assert_eq!(alloc::format!("{e}"), c);
        }
    }
}
