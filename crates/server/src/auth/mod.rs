//! Authentication building blocks: password hashing and policy, secrets, request hardening.
//!
//! Passwords are hashed with Argon2id (PHC strings); session ids and API token secrets are random
//! 256-bit values shown once and stored only as SHA-256 digests.

pub mod access;
pub mod hardening;
pub mod password;
pub mod rate_limit;
pub mod session;
pub mod trail;
