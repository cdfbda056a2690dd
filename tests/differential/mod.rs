//! Shared by the differential tests (`rsa_differential`, `ec_differential`,
//! `ec_wide_differential`): the run's random seed and hex for failure messages. Kept apart from
//! `tests/common`, whose key kit these tests (also built for wasm32-wasip1) do not need.

use std::fmt::Write as _;
use std::sync::OnceLock;

/// The seed of this test binary's run: `$var` if set (to replay a failure), otherwise drawn
/// from the clock; printed either way.
pub fn seed(var: &str) -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let seed = std::env::var(var)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                now.as_secs() ^ u64::from(now.subsec_nanos())
            });
        println!("{var}={seed}");
        seed
    })
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().fold(String::new(), |mut out, x| {
        let _ = write!(out, "{x:02x}");
        out
    })
}
