//! Key sets shared across worker VMs through Envoy's shared data, so that one VM fetches and
//! every VM re-parses the same bytes (shared data holds bytes, not objects).
//!
//! - `edgeward.jwks.<generation>.<provider>`: 8 bytes big-endian fetch time, then the body.
//! - `edgeward.lease.<generation>.<provider>`: 8 bytes lease expiry, 8 bytes owner VM id; empty
//!   when free. Taken with get + compare-and-swap, so two VMs never both win.

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
