//! Counters through the proxy-wasm metrics API. Labels are bounded: reason codes are a fixed
//! list and provider names come from the policy; nothing token-derived becomes a name.
//!
//! Per-request counts are kept in the VM and flushed to Envoy on the root context's tick
//! (every 250 ms): a host call costs about a microsecond, and a request would otherwise pay
//! three or four of them. Key-set and configuration events are rare and written at once.

use std::cell::RefCell;
use std::collections::HashMap;

use edgeward::{Decision, Reason};
use proxy_wasm::hostcalls;
use proxy_wasm::types::MetricType;

/// A provider's key-set metric ids: fetch successes, fetch failures, age gauge.
type JwksIds = (Option<u32>, Option<u32>, Option<u32>);

/// Metric ids, defined once per plugin configuration.
pub struct Metrics {
    allowed: Option<u32>,
    denied: Option<u32>,
    reported: Option<u32>,
    cache_hits: Option<u32>,
    cache_misses: Option<u32>,
    cache_entries: Option<u32>,
    by_reason: HashMap<&'static str, u32>,
    by_provider: HashMap<String, (Option<u32>, Option<u32>)>,
    paused: Option<u32>,
    /// Per provider: fetch successes, fetch failures, key-set age gauge.
    jwks: HashMap<String, JwksIds>,
    /// Revocation bundle: fetch successes, fetch failures, age of the held list (by its
    /// `iat`), its `seq`.
    revocation: (Option<u32>, Option<u32>, Option<u32>, Option<u32>),
    /// This VM's linear memory in bytes (Wasm memory 0).
    vm_memory: Option<u32>,
    /// Counts not yet written to Envoy: (metric id, increment).
    pending: RefCell<Vec<(u32, u64)>>,
}

/// The VM's linear memory (Wasm memory 0) in bytes; `None` off Wasm (host-side unit builds).
#[cfg(target_arch = "wasm32")]
fn linear_memory() -> Option<usize> {
    core::arch::wasm32::memory_size::<0>().checked_mul(65_536)
}

#[cfg(not(target_arch = "wasm32"))]
fn linear_memory() -> Option<usize> {
    None
}

fn counter(name: &str) -> Option<u32> {
    hostcalls::define_metric(MetricType::Counter, name).ok()
}

fn gauge(name: &str) -> Option<u32> {
    hostcalls::define_metric(MetricType::Gauge, name).ok()
}

impl Metrics {
    /// Defines every counter this policy can touch.
    pub fn define(providers: &[&str]) -> Metrics {
        Metrics {
            allowed: counter("edgeward.allowed"),
            denied: counter("edgeward.denied"),
            reported: counter("edgeward.reported"),
            cache_hits: gauge("edgeward.cache.hits"),
            cache_misses: gauge("edgeward.cache.misses"),
            cache_entries: gauge("edgeward.cache.entries"),
            by_reason: Reason::ALL
                .iter()
                .filter_map(|r| {
                    Some((r.code(), counter(&format!("edgeward.reason.{}", r.code()))?))
                })
                .collect(),
            by_provider: providers
                .iter()
                .map(|p| {
                    (
                        (*p).to_string(),
                        (
                            counter(&format!("edgeward.provider.{p}.allowed")),
                            counter(&format!("edgeward.provider.{p}.denied")),
                        ),
                    )
                })
                .collect(),
            paused: counter("edgeward.paused"),
            jwks: providers
                .iter()
                .map(|p| {
                    (
                        (*p).to_string(),
                        (
                            counter(&format!("edgeward.provider.{p}.jwks_fetch_success")),
                            counter(&format!("edgeward.provider.{p}.jwks_fetch_failure")),
                            gauge(&format!("edgeward.provider.{p}.jwks_age_seconds")),
                        ),
                    )
                })
                .collect(),
            revocation: (
                counter("edgeward.revocation.fetch_success"),
                counter("edgeward.revocation.fetch_failure"),
                gauge("edgeward.revocation.age_seconds"),
                gauge("edgeward.revocation.seq"),
            ),
            vm_memory: gauge("edgeward.vm.memory_bytes"),
            pending: RefCell::new(Vec::new()),
        }
    }

    /// Publishes this VM's linear memory size (per worker VM; the gauge shows the last
    /// writer). Linear memory only grows, so this is the VM's high-water mark.
    pub fn vm_memory(&self) {
        if let (Some(id), Some(bytes)) = (self.vm_memory, linear_memory()) {
            let _ = hostcalls::record_metric(id, u64::try_from(bytes).unwrap_or(u64::MAX));
        }
    }

    /// Counts a revocation bundle fetch (a refused bundle counts as a failure).
    pub fn revocation_fetch(&self, ok: bool) {
        let (s, f, _, _) = self.revocation;
        if let Some(id) = if ok { s } else { f } {
            let _ = hostcalls::increment_metric(id, 1);
        }
    }

    /// Publishes the held revocation list's age (seconds since its `iat`) and `seq`.
    pub fn revocation_held(&self, age: Option<i64>, seq: Option<u64>) {
        let (_, _, a, q) = self.revocation;
        if let (Some(id), Some(age)) = (a, age) {
            let _ = hostcalls::record_metric(id, u64::try_from(age).unwrap_or(0));
        }
        if let (Some(id), Some(seq)) = (q, seq) {
            let _ = hostcalls::record_metric(id, seq);
        }
    }

    fn bump(&self, id: Option<u32>) {
        let Some(id) = id else { return };
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            let _ = hostcalls::increment_metric(id, 1);
            return;
        };
        match pending.iter_mut().find(|(i, _)| *i == id) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => pending.push((id, 1)),
        }
    }

    /// Writes the counts kept since the last flush (called on every tick).
    pub fn flush(&self) {
        let Ok(mut pending) = self.pending.try_borrow_mut() else {
            return;
        };
        for (id, n) in pending.drain(..) {
            let _ = hostcalls::increment_metric(id, i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Counts a request paused for the first key set.
    pub fn paused(&self) {
        if let Some(id) = self.paused {
            let _ = hostcalls::increment_metric(id, 1);
        }
    }

    /// Counts a key-set fetch.
    pub fn jwks_fetch(&self, provider: &str, ok: bool) {
        if let Some((s, f, _)) = self.jwks.get(provider) {
            if let Some(id) = if ok { *s } else { *f } {
                let _ = hostcalls::increment_metric(id, 1);
            }
        }
    }

    /// Publishes a provider's key-set age (seconds since the last good fetch).
    pub fn jwks_age(&self, provider: &str, age: Option<i64>) {
        if let (Some((_, _, Some(id))), Some(age)) = (self.jwks.get(provider), age) {
            let _ = hostcalls::record_metric(*id, u64::try_from(age).unwrap_or(0));
        }
    }

    /// Counts one decision (written to Envoy on the next tick).
    pub fn record(&self, d: &Decision) {
        self.bump(if d.allow { self.allowed } else { self.denied });
        if d.reported {
            self.bump(self.reported);
        }
        if let Some(r) = d.reason {
            self.bump(self.by_reason.get(r.code()).copied());
        }
        if let Some(p) = d.provider.as_deref().and_then(|p| self.by_provider.get(p)) {
            self.bump(if d.allow { p.0 } else { p.1 });
        }
    }

    /// Publishes the VM's cache counters (per worker VM; gauges show the last writer).
    pub fn cache(&self, c: &edgeward::TokenCache) {
        for (id, v) in [
            (self.cache_hits, c.hits),
            (self.cache_misses, c.misses),
            (
                self.cache_entries,
                u64::try_from(c.len()).unwrap_or(u64::MAX),
            ),
        ] {
            if let Some(id) = id {
                let _ = hostcalls::record_metric(id, v);
            }
        }
    }
}
