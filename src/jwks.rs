//! The remote key-set lifecycle as a pure state machine: inputs are the time and fetch results,
//! outputs are "fetch now" and whether the last good set may be served. Hosts do the I/O
//! (Envoy: `dispatch_http_call` on the root context's tick; edge workers: `fetch`), so every
//! host refreshes, retries, backs off and expires key sets the same way.
//!
//! - Refresh ahead of expiry: at 3/4 of `cache_duration`.
//! - Failures retry with exponential backoff (1 s doubling to `retry_max`), never a tight loop.
//! - An unknown `kid` may trigger one early refetch per `unknown_kid_cooldown`; within the
//!   cooldown the token is rejected at once, never queued.
//! - The last good set is served for at most `max_stale` after it expired; after that the
//!   provider is unavailable (`jwks_unavailable`, 503) until a fetch succeeds.

/// Timing settings, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LifecycleConfig {
    /// How long a fetched set is fresh.
    pub cache_duration: i64,
    /// How long an expired set may still be served while refetching fails.
    pub max_stale: i64,
    /// A fetch that has not answered after this long counts as failed.
    pub fetch_timeout: i64,
    /// Longest wait between retries.
    pub retry_max: i64,
    /// Least time between unknown-`kid` refetches.
    pub unknown_kid_cooldown: i64,
}

impl Default for LifecycleConfig {
    fn default() -> Self {
        LifecycleConfig {
            cache_duration: 600,
            max_stale: 3600,
            fetch_timeout: 5,
            retry_max: 60,
            unknown_kid_cooldown: 30,
        }
    }
}

/// Why a fetch should start now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FetchReason {
    /// No set has ever been loaded.
    Initial,
    /// The set is due for refresh (ahead of expiry).
    Refresh,
    /// A previous fetch failed and the backoff has elapsed.
    Retry,
    /// A token named a `kid` the set does not have.
    UnknownKid,
}

/// Whether the last good set may be used now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serve {
    /// Fresh.
    Fresh,
    /// Expired but within `max_stale`: serve it while refetching.
    Stale,
    /// Never loaded, or stale beyond `max_stale`: deny with `jwks_unavailable`.
    Unavailable,
}

/// The lifecycle of one provider's remote key set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    cfg: LifecycleConfig,
    fetched_at: Option<i64>,
    in_flight_since: Option<i64>,
    failures: u32,
    next_attempt_at: i64,
    kid_refetch_at: Option<i64>,
    kid_refetch_pending: bool,
}

impl Lifecycle {
    /// A lifecycle that has loaded nothing yet.
    pub fn new(cfg: LifecycleConfig) -> Lifecycle {
        Lifecycle {
            cfg,
            fetched_at: None,
            in_flight_since: None,
            failures: 0,
            next_attempt_at: i64::MIN,
            kid_refetch_at: None,
            kid_refetch_pending: false,
        }
    }

    /// The settings.
    pub fn config(&self) -> &LifecycleConfig {
        &self.cfg
    }

    /// Consecutive failed fetches.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Seconds since the last successful fetch.
    pub fn age(&self, now: i64) -> Option<i64> {
        self.fetched_at.map(|t| now.saturating_sub(t))
    }

    /// Whether the last good set may be served at `now`.
    pub fn serve(&self, now: i64) -> Serve {
        let Some(age) = self.age(now) else {
            return Serve::Unavailable;
        };
        if age < self.cfg.cache_duration {
            Serve::Fresh
        } else if age < self.cfg.cache_duration.saturating_add(self.cfg.max_stale) {
            Serve::Stale
        } else {
            Serve::Unavailable
        }
    }

    /// Called on every timer tick (and may be called on requests): says whether to start a
    /// fetch now. A fetch in flight past `fetch_timeout` counts as failed.
    pub fn poll(&mut self, now: i64) -> Option<FetchReason> {
        if let Some(since) = self.in_flight_since {
            if now.saturating_sub(since) < self.cfg.fetch_timeout {
                return None;
            }
            self.on_failure(now);
        }
        if now < self.next_attempt_at {
            return None;
        }
        let reason = if self.kid_refetch_pending {
            FetchReason::UnknownKid
        } else if self.failures > 0 {
            FetchReason::Retry
        } else {
            match self.fetched_at {
                None => FetchReason::Initial,
                Some(t) => {
                    let due = t.saturating_add(self.cfg.cache_duration.saturating_mul(3) / 4);
                    if now < due {
                        return None;
                    }
                    FetchReason::Refresh
                }
            }
        };
        self.in_flight_since = Some(now);
        self.kid_refetch_pending = false;
        Some(reason)
    }

    /// A fetch returned a usable set.
    pub fn on_success(&mut self, now: i64) {
        // A set fetched now (by this host or, in Envoy, by another worker) answers any pending
        // unknown-kid question too.
        self.kid_refetch_pending = false;
        self.fetched_at = Some(now);
        self.in_flight_since = None;
        self.failures = 0;
        self.next_attempt_at = now;
    }

    /// A fetch failed (transport error, non-200, or a body that is not a usable set). The last
    /// good set is kept.
    pub fn on_failure(&mut self, now: i64) {
        self.in_flight_since = None;
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(20);
        let backoff = (1i64 << shift).min(self.cfg.retry_max.max(1));
        self.next_attempt_at = now.saturating_add(backoff);
    }

    /// A token named a `kid` the current set lacks. Returns true when a refetch was scheduled
    /// (the host should poll now); false within the cooldown. Either way the token is rejected
    /// now (`key_not_found`): requests are never queued on a refetch.
    pub fn on_unknown_kid(&mut self, now: i64) -> bool {
        if let Some(t) = self.kid_refetch_at {
            if now.saturating_sub(t) < self.cfg.unknown_kid_cooldown {
                return false;
            }
        }
        self.kid_refetch_at = Some(now);
        self.kid_refetch_pending = true;
        // An unknown kid is news: do not wait out a failure backoff for it.
        if self.in_flight_since.is_none() {
            self.next_attempt_at = self.next_attempt_at.min(now);
        }
        true
    }
}

/// Reads an OIDC  discovery document and returns the path of its `jwks_uri`.
///
/// # Errors
/// A short reason when the document is not bounded JSON, its `issuer` differs from the
/// provider's (exactly, as OIDC Discovery 1.0 section 4.3 requires), or `jwks_uri` is
/// missing or points at another scheme or host (no cross-host hops: the host fetches through
/// the same route it used for discovery).
pub fn jwks_path_from_discovery(
    doc: &[u8],
    issuer: &str,
    scheme: &str,
    authority: &str,
) -> Result<alloc::string::String, &'static str> {
    use crate::json::{self, Limits, Value};
    let v =
        json::parse(doc, &Limits::JWKS).map_err(|_| "discovery document is not bounded JSON")?;
    let Some(Value::Object(o)) = Some(&v) else {
        return Err("discovery document is not an object");
    };
    if o.get_str("issuer") != Some(issuer) {
        return Err("discovery issuer differs from the configured issuer");
    }
    let uri = o
        .get_str("jwks_uri")
        .ok_or("discovery document has no jwks_uri")?;
    let (s, rest) = uri.split_once("://").ok_or("jwks_uri is not absolute")?;
    let (auth, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    if s != scheme || !auth.eq_ignore_ascii_case(authority) {
        return Err("jwks_uri is on another scheme or host");
    }
    if path.contains('#') || !path.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err("jwks_uri path is not plain");
    }
    Ok(alloc::string::String::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LifecycleConfig {
        LifecycleConfig {
            cache_duration: 100,
            max_stale: 50,
            fetch_timeout: 5,
            retry_max: 16,
            unknown_kid_cooldown: 30,
        }
    }

    #[test]
    fn initial_fetch_refresh_ahead_and_expiry() {
        let mut l = Lifecycle::new(cfg());
        assert_eq!(l.serve(0), Serve::Unavailable);
        assert_eq!(l.poll(0), Some(FetchReason::Initial));
        assert_eq!(l.poll(1), None, "one fetch at a time");
        l.on_success(2);
        assert_eq!(l.serve(2), Serve::Fresh);
        assert_eq!(l.poll(50), None);
        assert_eq!(
            l.poll(77),
            Some(FetchReason::Refresh),
            "3/4 of cache_duration"
        );
        l.on_failure(78);
        assert_eq!(l.serve(101), Serve::Fresh);
        assert_eq!(l.serve(102), Serve::Stale);
        assert_eq!(l.serve(151), Serve::Stale);
        assert_eq!(l.serve(152), Serve::Unavailable);
        l.on_success(160);
        assert_eq!(l.serve(160), Serve::Fresh);
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_timeouts_count() {
        let mut l = Lifecycle::new(cfg());
        assert_eq!(l.poll(0), Some(FetchReason::Initial));
        // No answer within fetch_timeout: a failure, retry after 1 s.
        assert_eq!(l.poll(5), None);
        assert_eq!(l.failures(), 1);
        assert_eq!(l.poll(6), Some(FetchReason::Retry));
        let mut t = 6;
        let mut waits = alloc::vec::Vec::new();
        for _ in 0..7 {
            l.on_failure(t);
            let start = t;
            while l.poll(t).is_none() {
                t += 1;
            }
            waits.push(t - start);
        }
        assert_eq!(waits, [2, 4, 8, 16, 16, 16, 16]);
    }

    #[test]
    fn unknown_kid_refetch_with_cooldown() {
        let mut l = Lifecycle::new(cfg());
        assert_eq!(l.poll(0), Some(FetchReason::Initial));
        l.on_success(0);
        assert!(l.on_unknown_kid(10));
        assert_eq!(l.poll(10), Some(FetchReason::UnknownKid));
        l.on_success(11);
        // Within the cooldown: rejected at once, no fetch.
        assert!(!l.on_unknown_kid(20));
        assert_eq!(l.poll(20), None);
        assert!(l.on_unknown_kid(41));
        assert_eq!(l.poll(41), Some(FetchReason::UnknownKid));
    }

    #[test]
    fn discovery_documents() {
        let ok = br#"{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys?v=1"}"#;
        assert_eq!(
            jwks_path_from_discovery(ok, "https://idp.example", "https", "idp.example").as_deref(),
            Ok("/keys?v=1")
        );
        let other_issuer =
            br#"{"issuer":"https://evil.example","jwks_uri":"https://idp.example/keys"}"#;
        assert!(jwks_path_from_discovery(
            other_issuer,
            "https://idp.example",
            "https",
            "idp.example"
        )
        .is_err());
        let other_host =
            br#"{"issuer":"https://idp.example","jwks_uri":"https://evil.example/keys"}"#;
        assert!(jwks_path_from_discovery(
            other_host,
            "https://idp.example",
            "https",
            "idp.example"
        )
        .is_err());
        let downgrade = br#"{"issuer":"https://idp.example","jwks_uri":"http://idp.example/keys"}"#;
        assert!(
            jwks_path_from_discovery(downgrade, "https://idp.example", "https", "idp.example")
                .is_err()
        );
        let dup =
            br#"{"issuer":"https://idp.example","issuer":"x","jwks_uri":"https://idp.example/k"}"#;
        assert!(
            jwks_path_from_discovery(dup, "https://idp.example", "https", "idp.example").is_err()
        );
        assert!(
            jwks_path_from_discovery(b"[]", "https://idp.example", "https", "idp.example").is_err()
        );
    }

    #[test]
    fn a_fresh_set_answers_a_pending_unknown_kid() {
        let mut l = Lifecycle::new(cfg());
        assert_eq!(l.poll(0), Some(FetchReason::Initial));
        l.on_success(0);
        assert!(l.on_unknown_kid(10));
        // Another worker's fetch lands before this one polls: no second fetch.
        l.on_success(10);
        assert_eq!(l.poll(10), None);
    }

    #[test]
    fn unknown_kid_skips_a_failure_backoff() {
        let mut l = Lifecycle::new(cfg());
        assert_eq!(l.poll(0), Some(FetchReason::Initial));
        l.on_success(0);
        assert_eq!(l.poll(75), Some(FetchReason::Refresh));
        l.on_failure(75);
        l.on_failure(75);
        assert_eq!(l.poll(76), None, "backing off");
        assert!(l.on_unknown_kid(76));
        assert_eq!(l.poll(76), Some(FetchReason::UnknownKid));
    }
}
