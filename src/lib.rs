//! edgeward: local verification of JWT/JWS access tokens for proxies and edge workers.
//!
//! The core does no I/O, reads no clock and draws no randomness: the host passes the time in
//! and performs all fetching. Every input is size-capped before it is parsed, and every
//! rejection carries a stable [`Reason`] code.
//!
//! Modules, in the order untrusted bytes flow through them:
//! [`b64`] and [`json`] (strict, bounded decoding) -> [`jws`] (compact JWS, header rules) ->
//! [`jwk`] / [`jwa`] (keys bound to algorithms, signature checks) -> [`claims`] -> [`policy`]
//! (the one configuration format) -> [`decision`] (the request-level verdict shared by hosts).

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod b64;
pub mod cache;
pub mod claims;
pub mod context;
pub mod credential;
pub mod decision;
pub mod dpop;
pub mod ec_fast;
#[cfg(any(all(test, feature = "std"), feature = "fuzzing"))]
pub mod fuzzing;
pub mod json;
pub mod jwa;
pub mod jwk;
pub mod jwks;
pub mod jws;
mod mont;
pub mod path;
pub mod policy;
pub mod reason;
pub mod replay;
pub mod revocation;
pub mod rsa_fast;
pub mod signed;

pub use cache::TokenCache;
pub use decision::{decide, decide_with_cache, Decision, Request};
pub use policy::{Policy, PolicyError};
pub use reason::{Reason, Rejection};
