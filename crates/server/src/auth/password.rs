//! Argon2id password hashing, the password policy, and random secrets.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// The shortest password the policy accepts.
pub const MIN_LENGTH: usize = 10;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes a password with Argon2id and a random salt, as a PHC string (`$argon2id$v=19$…`).
pub fn hash_password(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Checks the password policy; each failed requirement is a sentence in Chinese.
///
/// The policy follows the usual requirement for police systems (等保三级): at least 10
/// characters, at least three of the four classes (upper case, lower case, digits, symbols), not
/// containing the user's 警号, and not one of the commonest weak passwords.
pub fn check_policy(user_id: &str, password: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    let n = password.chars().count();
    if n < MIN_LENGTH {
        problems.push(format!("密码至少 {MIN_LENGTH} 个字符（当前 {n} 个）"));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if classes < 3 {
        problems.push("密码须包含大写字母、小写字母、数字、符号中的至少三类".to_owned());
    }
    if !user_id.is_empty() && password.to_lowercase().contains(&user_id.to_lowercase()) {
        problems.push("密码不能包含警号".to_owned());
    }
    const WEAK: [&str; 6] = [
        "password",
        "12345678",
        "qwerty",
        "admin123",
        "p@ssw0rd",
        "abc123456",
    ];
    let lower = password.to_lowercase();
    if WEAK.iter().any(|w| lower.contains(w)) {
        problems.push("密码过于常见".to_owned());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// A random 256-bit secret, hex-encoded (session ids, token secrets, CSRF tokens).
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// SHA-256 of a secret, hex-encoded: what the database keeps instead of the secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("Zhang-2026-pass").unwrap();
        let b = hash_password("Zhang-2026-pass").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "random salt");
        assert!(verify_password("Zhang-2026-pass", &a));
        assert!(!verify_password("Zhang-2026-pasS", &a));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn the_policy_names_every_failed_requirement() {
        assert!(check_policy("O-100234", "Jing-cha#2026").is_ok());
        let p = check_policy("O-100234", "abc").unwrap_err();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("至少 10"));
        let p = check_policy("O-100234", "xO-100234Aa!").unwrap_err();
        assert!(p.iter().any(|m| m.contains("警号")));
        let p = check_policy("u1", "Password123!").unwrap_err();
        assert!(p.iter().any(|m| m.contains("常见")));
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret().unwrap());
        assert_eq!(digest("x"), digest("x"));
        assert_ne!(digest("x"), digest("y"));
    }
}
