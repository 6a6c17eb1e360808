//! The audit trail's hash chain and signatures: pure functions, no IO (except [`AuditKey::generate`],
//! which asks the operating system for 32 random bytes).
//!
//! Each audit row is linked to the one before it and signed, so that a third party (a
//! procuratorate, an inspector) holding only an export and the server's public key can check it:
//!
//! - `content` = canonical JSON (keys sorted at every depth, no whitespace) of the object
//!   `{action, actor, actor_kind, at_us, details, key_id, outcome, prev_hash, seq, source, target}`
//!   (`source` and `target` are `null` when absent; `details` is the entry's JSON value);
//! - `hash` = hex(SHA-256(`"casewatch-audit-v1\n"` ‖ content)); the first row's `prev_hash` is 64 zeros;
//! - `signature` = hex(Ed25519(signing key, the 32 bytes of `hash`));
//! - `key_id` = the first 16 hex digits of SHA-256(the 32-byte public key).
//!
//! Architecture invariant: the chain proves that no row was changed, inserted or removed in the
//! middle; the signature proves that whoever wrote a row held the signing key. A database thief
//! can recompute hashes, but not signatures, unless the private key sits in the same database:
//! a deployment passes its own key ([`crate::StoreOptions::audit_key`], read from a file only the
//! server may read). When none is passed, a key is generated at first open and kept in
//! `audit_keys` — convenient, but then the database alone can forge a consistent trail.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{AuditRow, StoreError};

/// The `prev_hash` of the first audit row: 64 zeros, as for the event log.
pub const GENESIS: &str = casewatch_core::chain::GENESIS;

/// The domain-separation prefix of an audit row's hash.
const HASH_PREFIX: &[u8] = b"casewatch-audit-v1\n";

/// An Ed25519 signing key for the audit trail. `Debug` shows only its key id.
#[derive(Clone)]
pub struct AuditKey(SigningKey);

impl AuditKey {
    /// The key whose 32-byte secret is `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&bytes))
    }

    /// Reads a key file's content: exactly 32 raw bytes (`head -c 32 /dev/urandom`), or 64 hex
    /// digits with optional surrounding whitespace (what [`AuditKey::to_hex`] writes).
    pub fn parse(content: &[u8]) -> Result<Self, StoreError> {
        if let Ok(raw) = <[u8; 32]>::try_from(content) {
            return Ok(Self::from_bytes(raw));
        }
        let text = std::str::from_utf8(content)
            .map(str::trim)
            .map_err(|_| bad_key_file())?;
        let bytes = hex::decode(text).map_err(|_| bad_key_file())?;
        let raw = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad_key_file())?;
        Ok(Self::from_bytes(raw))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, StoreError> {
        let mut raw = [0u8; 32];
        getrandom::fill(&mut raw)
            .map_err(|e| StoreError::Invalid(format!("无法生成审计签名密钥：{e}")))?;
        Ok(Self::from_bytes(raw))
    }

    /// The secret key as 64 hex digits, for writing a key file. Keep it secret.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The verifying (public) key as 64 hex digits, for third parties.
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    /// The key id: the first 16 hex digits of SHA-256 of the public key.
    pub fn key_id(&self) -> String {
        key_id(&self.0.verifying_key().to_bytes())
    }

    /// Signs a row hash (64 hex digits): the signature covers the hash's 32 bytes.
    pub fn sign_hash(&self, hash_hex: &str) -> Result<String, StoreError> {
        let digest = hex::decode(hash_hex)
            .map_err(|e| StoreError::Invalid(format!("bad hash `{hash_hex}`: {e}")))?;
        Ok(hex::encode(self.0.sign(&digest).to_bytes()))
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

fn bad_key_file() -> StoreError {
    StoreError::Invalid("审计签名密钥文件无效：应为 32 个原始字节，或 64 位十六进制数字".into())
}

/// The key id of a 32-byte public key: the first 16 hex digits of its SHA-256.
pub fn key_id(public_key: &[u8; 32]) -> String {
    let mut id = hex::encode(Sha256::digest(public_key));
    id.truncate(16);
    id
}

/// Checks a row's signature against a public key (both hex); `Err` says why it fails.
pub fn check_signature(
    public_key_hex: &str,
    hash_hex: &str,
    signature_hex: &str,
) -> Result<(), String> {
    let public: [u8; 32] = hex::decode(public_key_hex)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or("the public key is not 32 bytes of hex")?;
    let key = VerifyingKey::from_bytes(&public)
        .map_err(|_| "the public key is not a valid Ed25519 point")?;
    let signature: [u8; 64] = hex::decode(signature_hex)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .ok_or("the signature is not 64 bytes of hex")?;
    let digest = hex::decode(hash_hex).map_err(|_| "the hash is not hex")?;
    key.verify(&digest, &Signature::from_bytes(&signature))
        .map_err(|_| "the signature does not verify".to_owned())
}

/// The canonical JSON text of a value: object keys sorted at every depth, no whitespace. The
/// same rule as the event log's canonical form (`casewatch_core::Event::canonical_json`).
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(x) = m.get(*k) {
                    write_canonical(x, out);
                }
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The canonical content of a row that its hash covers: every field except `hash` and
/// `signature`.
pub fn canonical_content(row: &AuditRow) -> String {
    let content = serde_json::json!({
        "seq": row.seq,
        "at_us": row.at_us,
        "actor": row.actor,
        "actor_kind": row.actor_kind,
        "source": row.source,
        "action": row.action,
        "target": row.target,
        "outcome": row.outcome,
        "details": row.details,
        "prev_hash": row.prev_hash,
        "key_id": row.key_id,
    });
    canonical_json(&content)
}

/// The chain hash of a row (hex), from its content and `prev_hash`.
pub fn entry_hash(row: &AuditRow) -> String {
    let mut h = Sha256::new();
    h.update(HASH_PREFIX);
    h.update(canonical_content(row).as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> AuditRow {
        AuditRow {
            seq: 1,
            at_us: 10,
            actor: "000123".into(),
            actor_kind: "user".into(),
            source: Some("10.0.0.1".into()),
            action: "login".into(),
            target: None,
            outcome: "success".into(),
            details: serde_json::json!({"b": 1, "a": [true, null]}),
            prev_hash: GENESIS.into(),
            hash: String::new(),
            signature: String::new(),
            key_id: "k".into(),
        }
    }

    #[test]
    fn the_content_is_canonical_and_every_field_counts() {
        let r = row();
        assert_eq!(
            canonical_content(&r),
            r#"{"action":"login","actor":"000123","actor_kind":"user","at_us":10,"details":{"a":[true,null],"b":1},"key_id":"k","outcome":"success","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","seq":1,"source":"10.0.0.1","target":null}"#
        );
        let base = entry_hash(&r);
        let changed = [
            AuditRow { seq: 2, ..row() },
            AuditRow { at_us: 11, ..row() },
            AuditRow {
                actor: "x".into(),
                ..row()
            },
            AuditRow {
                source: None,
                ..row()
            },
            AuditRow {
                target: Some("c".into()),
                ..row()
            },
            AuditRow {
                outcome: "denied".into(),
                ..row()
            },
            AuditRow {
                details: serde_json::json!({}),
                ..row()
            },
            AuditRow {
                prev_hash: "1".into(),
                ..row()
            },
            AuditRow {
                key_id: "j".into(),
                ..row()
            },
        ];
        for c in changed {
            assert_ne!(entry_hash(&c), base, "{c:?}");
        }
        // Signature and hash are not part of the content.
        assert_eq!(
            entry_hash(&AuditRow {
                hash: "h".into(),
                signature: "s".into(),
                ..row()
            }),
            base
        );
    }

    #[test]
    fn signatures_verify_with_the_public_key_only() {
        let key = AuditKey::from_bytes([7; 32]);
        let other = AuditKey::from_bytes([8; 32]);
        let hash = entry_hash(&row());
        let sig = key.sign_hash(&hash).unwrap();
        assert_eq!(check_signature(&key.public_key_hex(), &hash, &sig), Ok(()));
        assert!(check_signature(&other.public_key_hex(), &hash, &sig).is_err());
        let other_hash = entry_hash(&AuditRow { seq: 2, ..row() });
        assert!(check_signature(&key.public_key_hex(), &other_hash, &sig).is_err());
        assert_eq!(key.key_id().len(), 16);
        assert_ne!(key.key_id(), other.key_id());
    }

    #[test]
    fn key_files_are_raw_or_hex() {
        let key = AuditKey::from_bytes([9; 32]);
        let hex_file = format!("{}\n", key.to_hex());
        assert_eq!(
            AuditKey::parse(hex_file.as_bytes()).unwrap().key_id(),
            key.key_id()
        );
        assert_eq!(AuditKey::parse(&[9; 32]).unwrap().key_id(), key.key_id());
        assert!(AuditKey::parse(b"too short").is_err());
        assert!(AuditKey::parse(&[1; 33]).is_err());
        assert!(
            !format!("{key:?}").contains(&key.to_hex()),
            "Debug hides the secret"
        );
        assert_ne!(
            AuditKey::generate().unwrap().key_id(),
            AuditKey::generate().unwrap().key_id()
        );
    }
}
