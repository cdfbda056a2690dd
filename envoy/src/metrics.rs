//! Counters through the proxy-wasm metrics API. Labels are bounded: reason codes are a fixed
//! list and provider names come from the policy; nothing token-derived becomes a name.

use std::collections::HashMap;

use edgeward::{Decision, Reason};
use proxy_wasm::hostcalls;
use proxy_wasm::types::MetricType;

/// Metric ids, defined once per plugin configuration.
pub struct Metrics {
    allowed: Option<u32>,
    denied: Option<u32>,
    by_reason: HashMap<&'static str, u32>,
    by_provider: HashMap<String, (Option<u32>, Option<u32>)>,
}

fn counter(name: &str) -> Option<u32> {
    hostcalls::define_metric(MetricType::Counter, name).ok()
}

impl Metrics {
    /// Defines every counter this policy can touch.
    pub fn define(providers: &[&str]) -> Metrics {
        Metrics {
            allowed: counter("edgeward.allowed"),
            denied: counter("edgeward.denied"),
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
        }
    }

    /// Counts one decision.
    pub fn record(&self, d: &Decision) {
        let bump = |id: Option<u32>| {
            if let Some(id) = id {
                let _ = hostcalls::increment_metric(id, 1);
            }
        };
        bump(if d.allow { self.allowed } else { self.denied });
        if let Some(r) = d.reason {
            bump(self.by_reason.get(r.code()).copied());
        }
        if let Some(p) = d.provider.as_deref().and_then(|p| self.by_provider.get(p)) {
            bump(if d.allow { p.0 } else { p.1 });
        }
    }
}
