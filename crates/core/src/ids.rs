//! Identifier newtypes. Each is built by `parse`, which states precisely what is wrong.

use std::fmt;
use std::sync::Arc;

/// The longest identifier the interchange format allows.
pub const MAX_ID_LEN: usize = 128;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The identifier is the empty string.
    #[error("must not be empty")]
    Empty,
    /// The identifier is longer than [`MAX_ID_LEN`] characters.
    #[error("is {0} characters long; at most 128 are allowed")]
    TooLong(usize),
    /// The identifier holds a character outside `[A-Za-z0-9._:-]`.
    #[error("contains `{0}`; only letters A-Z a-z, digits and . _ : - are allowed")]
    BadChar(char),
}

/// Checks the character set and length shared by event ids and case ids (`events.md`).
fn check_id(s: &str) -> Result<(), IdError> {
    if id_is_plainly_valid(s) {
        return Ok(());
    }
    check_id_by_char(s)
}

/// The common case in one pass over the bytes: every allowed character is ASCII, so the length
/// in bytes is the length in characters. `false` means "ask [`check_id_by_char`]", which names
/// what is wrong.
fn id_is_plainly_valid(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// The rules of [`check_id`] as the interchange format states them, character by character.
fn check_id_by_char(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let n = s.chars().count();
    if n > MAX_ID_LEN {
        return Err(IdError::TooLong(n));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(IdError::BadChar(c));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Shared, not copied: a clone (every event of a case carries its case id) counts a
        /// reference instead of allocating.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Parses an identifier: 1–128 characters of `[A-Za-z0-9._:-]`.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s).map(|()| Self(Arc::from(s)))
            }

            /// The identifier as a shared string (cloning it does not copy the text).
            pub fn shared(&self) -> Arc<str> {
                Arc::clone(&self.0)
            }

            /// The identifier as sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// An event id chosen by the sender; unique across the whole log.
    EventId
);
id_type!(
    /// A case id (案件编号) as the case-handling system knows it.
    CaseId
);

/// A free-form reference that must be a non-empty, printable string of at most 128 characters:
/// subject, unit and officer ids. The interchange format fixes no character set for them, so we
/// refuse only what cannot be a sensible id (empty, over-long, control characters).
///
/// Shared, not copied, like the ids: decoding a case's history clones the same few references
/// into every event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Ref(Arc<str>);

/// Why a reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// The reference is the empty string (or only spaces).
    #[error("must not be empty")]
    Empty,
    /// The reference is longer than [`MAX_ID_LEN`] characters.
    #[error("is {0} characters long; at most 128 are allowed")]
    TooLong(usize),
    /// The reference holds a control character.
    #[error("contains a control character")]
    Control,
}

/// The common case of [`Ref::parse`] in one pass over the bytes: ASCII without control
/// characters, not only spaces (the only ASCII white space that is not a control character), at
/// most 128 bytes, which is then 128 characters. `false` means "ask [`check_ref_by_char`]",
/// which names what is wrong.
fn ref_is_plainly_valid(s: &str) -> bool {
    s.len() <= MAX_ID_LEN
        && s.is_ascii()
        && !s.bytes().any(|b| b.is_ascii_control())
        && s.bytes().any(|b| b != b' ')
}

/// The rules of [`Ref::parse`] character by character.
fn check_ref_by_char(s: &str) -> Result<(), RefError> {
    if s.trim().is_empty() {
        return Err(RefError::Empty);
    }
    let n = s.chars().count();
    if n > MAX_ID_LEN {
        return Err(RefError::TooLong(n));
    }
    if s.chars().any(char::is_control) {
        return Err(RefError::Control);
    }
    Ok(())
}

impl Ref {
    /// Parses a subject, unit or officer reference.
    pub fn parse(s: &str) -> Result<Self, RefError> {
        if !ref_is_plainly_valid(s) {
            check_ref_by_char(s)?;
        }
        Ok(Self(Arc::from(s)))
    }

    /// The reference as a shared string (cloning it does not copy the text).
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }

    /// The reference as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_character_set() {
        assert!(EventId::parse("e-000123").is_ok());
        assert!(CaseId::parse("C2026-0001:a_b.c").is_ok());
        assert_eq!(EventId::parse(""), Err(IdError::Empty));
        assert_eq!(EventId::parse("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(CaseId::parse("案1"), Err(IdError::BadChar('案')));
        assert_eq!(EventId::parse(&"x".repeat(129)), Err(IdError::TooLong(129)));
        assert!(EventId::parse(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn the_one_pass_checks_agree_with_the_rules_as_written() {
        // Every string of up to three characters over an alphabet with each kind of character
        // (allowed, punctuation, spaces, controls, DEL, non-ASCII, a C1 control), and long ones
        // around the limit.
        let alphabet = [
            'a', 'Z', '0', '-', '.', '_', ':', ' ', '\t', '\x0b', '\n', '\x7f', '案', '\u{85}', '/',
        ];
        let mut cases = vec![String::new()];
        for len in 1..=3 {
            let mut idx = vec![0usize; len];
            loop {
                cases.push(idx.iter().map(|&i| alphabet[i]).collect());
                let mut k = 0;
                while k < len {
                    idx[k] += 1;
                    if idx[k] < alphabet.len() {
                        break;
                    }
                    idx[k] = 0;
                    k += 1;
                }
                if k == len {
                    break;
                }
            }
        }
        for n in [127, 128, 129] {
            cases.push("x".repeat(n));
            cases.push(" ".repeat(n));
            cases.push(format!("{}案", "x".repeat(n - 1)));
            cases.push(format!("{}案", "x".repeat(n - 2)));
        }
        // A string the one pass accepts is valid by the rules as written; every other string
        // gets the answer of those rules.
        for c in &cases {
            if id_is_plainly_valid(c) {
                assert_eq!(check_id_by_char(c), Ok(()), "id {c:?}");
            }
            assert_eq!(check_id(c), check_id_by_char(c), "id {c:?}");
            if ref_is_plainly_valid(c) {
                assert_eq!(check_ref_by_char(c), Ok(()), "ref {c:?}");
            }
            assert_eq!(Ref::parse(c).map(|_| ()), check_ref_by_char(c), "ref {c:?}");
        }
    }

    #[test]
    fn refs_refuse_only_nonsense() {
        assert!(Ref::parse("派出所-1").is_ok());
        assert_eq!(Ref::parse("  "), Err(RefError::Empty));
        assert_eq!(Ref::parse("a\nb"), Err(RefError::Control));
    }
}
