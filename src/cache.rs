//! The verified-token cache: remembers that a token's signature verified and what its claims
//! are, so a repeated token skips the signature check. It never remembers a verdict: time,
//! issuer, audience, scope, rule and binding checks run again on every hit.
//!
//! Keyed by SHA-256 over the exact token bytes, the provider, the policy generation and the
//! provider's key-set fingerprint, so a new policy or a key rotation makes old entries
//! unreachable. Bounded in entries and bytes (oldest evicted first); an entry never outlives the
//! token's `exp` (plus skew), and tokens without `exp` are not cached.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::rc::Rc;

use sha2::{Digest, Sha256};

use crate::json::Value;
use crate::jws::Verified;
use crate::policy::{Accepted, Provider};

/// Cache key: SHA-256 over token, provider, policy generation and key-set fingerprint.
pub type CacheKey = [u8; 32];

/// Bounds for a [`TokenCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    /// Maximum entries.
    pub max_entries: usize,
    /// Maximum bytes (payload and claims, estimated).
    pub max_bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            max_entries: 4096,
            max_bytes: 4 * 1024 * 1024,
        }
    }
}

struct Entry {
    accepted: Rc<Accepted>,
    /// Unix seconds after which the entry is dropped (exp, rounded up, plus skew).
    expires_at: i64,
    bytes: usize,
}

/// A bounded map from token to "signature verified + parsed claims".
#[derive(Default)]
pub struct TokenCache {
    limits: CacheLimits,
    entries: BTreeMap<CacheKey, Entry>,
    order: VecDeque<CacheKey>,
    bytes: usize,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that had to verify.
    pub misses: u64,
    /// `DPoP` proof keys already loaded (clients sign many proofs with one key; loading a
    /// P-256 key builds its comb table, which costs more than the verification).
    pub proof_keys: crate::dpop::ProofKeyCache,
}

impl core::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.bytes)
            .field("hits", &self.hits)
            .field("misses", &self.misses)
            .finish_non_exhaustive()
    }
}

/// The key for `token` verified by `provider` under the policy `generation`.
pub fn key(token: &str, provider: &Provider, generation: u64) -> CacheKey {
    let mut h = Sha256::new();
    h.update(token.as_bytes());
    h.update([0]);
    h.update(provider.name.as_bytes());
    h.update([0]);
    h.update(generation.to_be_bytes());
    h.update(provider.keys.fingerprint());
    h.finalize().into()
}

fn expiry(claims: &Value, skew: i64) -> Option<i64> {
    let Value::Number(n) = claims.as_object()?.get("exp")? else {
        return None;
    };
    let (floor, frac) = n.floor_and_fraction()?;
    floor.checked_add(i64::from(frac))?.checked_add(skew)
}

/// Proof keys kept per cache (about 23 KiB each for P-256, less for the others).
const PROOF_KEYS: usize = 64;

impl TokenCache {
    /// An empty cache with these bounds.
    pub fn new(limits: CacheLimits) -> TokenCache {
        TokenCache {
            limits,
            proof_keys: crate::dpop::ProofKeyCache::new(PROOF_KEYS),
            ..TokenCache::default()
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Estimated bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The cached verification for `key`, unless it has expired at `now` (then it is dropped).
    pub fn get(&mut self, key: &CacheKey, now: i64) -> Option<Rc<Accepted>> {
        let expired = match self.entries.get(key) {
            None => {
                self.misses += 1;
                return None;
            }
            Some(e) => now >= e.expires_at,
        };
        if expired {
            self.remove(key);
            self.misses += 1;
            return None;
        }
        self.hits += 1;
        self.entries.get(key).map(|e| Rc::clone(&e.accepted))
    }

    /// Remembers a verification. Tokens without a usable `exp` are not cached.
    pub fn insert(&mut self, key: CacheKey, accepted: &Rc<Accepted>, skew: i64, now: i64) {
        let Some(expires_at) = expiry(&accepted.claims, skew) else {
            return;
        };
        if expires_at <= now {
            return;
        }
        let Some(verified) = &accepted.verified else {
            return;
        };
        let bytes = entry_bytes(verified);
        if bytes > self.limits.max_bytes || self.limits.max_entries == 0 {
            return;
        }
        self.remove(&key);
        while self.entries.len() >= self.limits.max_entries
            || self.bytes.saturating_add(bytes) > self.limits.max_bytes
        {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(e.bytes);
            }
        }
        self.bytes = self.bytes.saturating_add(bytes);
        self.order.push_back(key);
        self.entries.insert(
            key,
            Entry {
                accepted: Rc::clone(accepted),
                expires_at,
                bytes,
            },
        );
    }

    /// Drops every entry that has expired at `now` (hosts call this from a timer).
    pub fn sweep(&mut self, now: i64) {
        let stale: alloc::vec::Vec<CacheKey> = self
            .entries
            .iter()
            .filter(|(_, e)| now >= e.expires_at)
            .map(|(k, _)| *k)
            .collect();
        for k in stale {
            self.remove(&k);
        }
    }

    /// Empties the cache (for example when keys are replaced).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(e) = self.entries.remove(key) {
            self.bytes = self.bytes.saturating_sub(e.bytes);
            self.order.retain(|k| k != key);
        }
    }
}

fn entry_bytes(v: &Verified) -> usize {
    // The payload, its parsed form and the header: a conservative estimate.
    v.payload().len().saturating_mul(3).saturating_add(256)
}
