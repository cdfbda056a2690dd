//! Key sets shared across worker VMs through Envoy's shared data, so that one VM fetches and
//! every VM re-parses the same bytes (shared data holds bytes, not objects).
//!
//! - `edgeward.jwks.<generation>.<provider>`: 8 bytes big-endian fetch time, then the body.
//! - `edgeward.lease.<generation>.<provider>`: 8 bytes lease expiry, 8 bytes owner VM id; empty
//!   when free. Taken with get + compare-and-swap, so two VMs never both win.
//! - `edgeward.revocation.<generation>` and `edgeward.revocation-lease.<generation>`: the same
//!   for the signed revocation bundle (each VM verifies the bytes again before installing).

use proxy_wasm::hostcalls;

/// The shared-data keys of one provider under one policy generation.
pub struct Keys {
    /// Where the fetched set lives.
    pub jwks: String,
    /// The fetch lease.
    pub lease: String,
}

impl Keys {
    /// Keys for `provider` under policy `generation`.
    pub fn new(generation: u64, provider: &str) -> Keys {
        Keys {
            jwks: format!("edgeward.jwks.{generation:016x}.{provider}"),
            lease: format!("edgeward.lease.{generation:016x}.{provider}"),
        }
    }

    /// Keys for the revocation bundle under policy `generation` (prefixes no provider key
    /// has, whatever the provider's name).
    pub fn revocation(generation: u64) -> Keys {
        Keys {
            jwks: format!("edgeward.revocation.{generation:016x}"),
            lease: format!("edgeward.revocation-lease.{generation:016x}"),
        }
    }
}

/// A random id for this VM (from the WASI random source via `RandomState`).
pub fn vm_id() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(0x6564_6765_7761_7264_u64)
}

fn be_i64(b: &[u8]) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(..8)?.try_into().ok()?))
}

/// The shared set, if present: (its CAS version, fetch time, body).
pub fn read(key: &str) -> Option<(u32, i64, Vec<u8>)> {
    let (Some(bytes), Some(cas)) = hostcalls::get_shared_data(key).ok()? else {
        return None;
    };
    let fetched_at = be_i64(&bytes)?;
    Some((cas, fetched_at, bytes.get(8..)?.to_vec()))
}

/// Publishes a fetched body; returns the new CAS version.
pub fn publish(key: &str, fetched_at: i64, body: &[u8]) -> Option<u32> {
    let mut v = Vec::with_capacity(8 + body.len());
    v.extend_from_slice(&fetched_at.to_be_bytes());
    v.extend_from_slice(body);
    hostcalls::set_shared_data(key, Some(&v), None).ok()?;
    hostcalls::get_shared_data(key)
        .ok()
        .and_then(|(_, cas)| cas)
}

/// Takes the fetch lease for `ttl` seconds unless another VM holds an unexpired one.
pub fn try_lease(key: &str, me: u64, now: i64, ttl: i64) -> bool {
    let (value, cas) = hostcalls::get_shared_data(key).unwrap_or((None, None));
    if let Some(v) = value.as_deref() {
        let expiry = be_i64(v).unwrap_or(0);
        let owner = v
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes);
        if expiry > now && owner != Some(me) {
            return false;
        }
    }
    let mut lease = Vec::with_capacity(16);
    lease.extend_from_slice(&now.saturating_add(ttl).to_be_bytes());
    lease.extend_from_slice(&me.to_be_bytes());
    // With the version just read: if another VM took it in between, the swap fails.
    hostcalls::set_shared_data(key, Some(&lease), cas).is_ok()
}

/// Gives the lease back (if this VM still holds it).
pub fn release(key: &str, me: u64) {
    if let Ok((Some(v), cas)) = hostcalls::get_shared_data(key) {
        let owner = v
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes);
        if owner == Some(me) {
            let _ = hostcalls::set_shared_data(key, Some(&[]), cas);
        }
    }
}

/// The `jti` replay store shared by every worker VM of this Envoy: two fixed rings of
/// time-slot buckets in shared data (`DPoP` proofs; one-time tokens), created at load. Shared
/// data has no insert-if-absent, delete or expiry, so each insert is a read, the core's
/// [`edgeward::replay::BucketRing::insert`] and a compare-and-swap write, retried on a lost
/// race. A full bucket, a lost race after the retries, or a bucket that does not parse refuse
/// the request: the store never evicts.
pub struct ReplayStore {
    /// Rings for `DPoP` proofs, one per shard: a key goes to shard `key[0..2] % len`, so the
    /// per-slot capacity is shards x bucket capacity and no one bucket grows large (every
    /// insert rewrites its bucket).
    dpop: Vec<edgeward::replay::BucketRing>,
    /// Rings for one-time tokens, sharded the same way.
    once: Vec<edgeward::replay::BucketRing>,
}

/// `DPoP` shards: 16 x 4096 proofs per slot (about 1,000 new proofs a second per process).
/// `EDGEWARD_DPOP_REPLAY_SHARDS` and `EDGEWARD_DPOP_REPLAY_BUCKET_ENTRIES` override both.
pub const DPOP_SHARDS: usize = 16;
/// Proofs per `DPoP` bucket (one shard's share of one slot).
pub const DPOP_BUCKET_ENTRIES: usize = 4096;
/// The most `DPoP` shards `EDGEWARD_DPOP_REPLAY_SHARDS` may ask for (a key picks its shard by
/// its first two bytes).
pub const MAX_DPOP_SHARDS: usize = 256;
/// One-time token shards: 1 x 2048 tokens per 15-minute slot.
const ONCE_SHARDS: usize = 1;

/// Retries of a compare-and-swap write that lost a race to another worker.
const CAS_RETRIES: usize = 8;

impl ReplayStore {
    /// Rings for `DPoP` proofs up to `dpop_past` seconds old (and `dpop_future` ahead), in
    /// `shards` (1..=[`MAX_DPOP_SHARDS`]) rings of buckets of `entries` proofs, and for
    /// one-time tokens issued within the last day; `None` if the sizes are out of range.
    pub fn new(
        dpop_past: i64,
        dpop_future: i64,
        shards: usize,
        entries: usize,
    ) -> Option<ReplayStore> {
        if !(1..=MAX_DPOP_SHARDS).contains(&shards) {
            return None;
        }
        let slot = dpop_future.max(60);
        let dpop = (0..shards)
            .map(|i| {
                edgeward::replay::BucketRing::for_window(
                    &format!("edgeward.replay.dpop.{i}."),
                    dpop_past,
                    dpop_future,
                    slot,
                    entries,
                )
            })
            .collect::<Option<Vec<_>>>()?;
        let once = (0..ONCE_SHARDS)
            .map(|i| {
                edgeward::replay::BucketRing::for_window(
                    &format!("edgeward.replay.once.{i}."),
                    86_400,
                    900,
                    900,
                    2048,
                )
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ReplayStore { dpop, once })
    }

    /// Creates every bucket that does not exist yet (empty), so later writes always carry a
    /// CAS value. Two VMs racing here both write empty buckets, which is harmless.
    pub fn create(&self) {
        for ring in self.dpop.iter().chain(self.once.iter()) {
            for key in ring.bucket_keys() {
                if !matches!(hostcalls::get_shared_data(&key), Ok((Some(_), Some(_)))) {
                    let _ = hostcalls::set_shared_data(&key, Some(&[]), None);
                }
            }
        }
    }

    /// `DPoP` shards (rings).
    pub fn dpop_shards(&self) -> usize {
        self.dpop.len()
    }

    /// Proofs per `DPoP` bucket.
    pub fn dpop_bucket_entries(&self) -> usize {
        self.dpop
            .first()
            .map_or(0, edgeward::replay::BucketRing::capacity)
    }

    /// Seconds per `DPoP` slot.
    pub fn dpop_slot_seconds(&self) -> i64 {
        self.dpop
            .first()
            .map_or(0, edgeward::replay::BucketRing::slot_seconds)
    }

    /// The most bytes both rings can hold.
    pub fn memory_bound(&self) -> usize {
        self.dpop
            .iter()
            .chain(self.once.iter())
            .map(edgeward::replay::BucketRing::memory_bound)
            .sum()
    }

    /// Records one use; `false` when it must be refused (seen, full, out of the window, lost
    /// races, unreadable bucket).
    pub fn record(&self, claim: &edgeward::decision::ReplayClaim, now: i64) -> bool {
        let rings = match claim.kind {
            edgeward::decision::ReplayKind::DpopProof => &self.dpop,
            edgeward::decision::ReplayKind::OneTimeToken => &self.once,
        };
        // Two key bytes pick the shard, so any shard count spreads keys evenly (within 0.4%).
        let shard =
            usize::from(u16::from_be_bytes([claim.key[0], claim.key[1]])) % rings.len().max(1);
        let Some(ring) = rings.get(shard) else {
            return false;
        };
        let key = ring.bucket_key(ring.slot(claim.issued_at));
        for _ in 0..CAS_RETRIES {
            let Ok((bytes, Some(cas))) = hostcalls::get_shared_data(&key) else {
                return false;
            };
            let current = bytes.unwrap_or_default();
            let Ok(next) = ring.insert(&current, claim.key, claim.issued_at, now) else {
                return false;
            };
            match hostcalls::set_shared_data(&key, Some(&next), Some(cas)) {
                Ok(()) => return true,
                Err(proxy_wasm::types::Status::CasMismatch) => {}
                Err(_) => return false,
            }
        }
        false
    }
}
