//! Materialized paths of units in the unit tree: `/U-0001/U-0003/U-0017/`.

use std::fmt;

/// The longest unit id a path segment may hold, in characters (the event format's limit).
pub const MAX_UNIT_ID_LEN: usize = 128;

/// The deepest a unit may lie in the tree. Real trees are 3–5 levels deep; the bound keeps the
/// work of one authorization request small whatever a caller sends.
pub const MAX_DEPTH: usize = 16;

/// The path of a unit from the top of the tree: each unit id between slashes, top first, with
/// a trailing slash, e.g. `/U-0001/U-0003/U-0017/` for a 派出所 under a 分局 under the 市局.
///
/// INVARIANT: the string is `/`, then one or more segments each followed by `/`; a segment is a
/// unit id of 1–[`MAX_UNIT_ID_LEN`] characters that is not blank and holds neither `/` nor a
/// control character; there are at most [`MAX_DEPTH`] segments.
///
/// Because of the trailing slash, "unit B lies in the subtree of unit A" is exactly "B's path
/// starts with A's path": `/U-1/U-2/` is not a prefix of `/U-1/U-23/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPath(String);

/// Why a unit path or unit id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitPathError {
    /// The path does not start with `/`.
    #[error("must start with `/`")]
    NoLeadingSlash,
    /// The path does not end with `/`.
    #[error("must end with `/`")]
    NoTrailingSlash,
    /// The path names no unit (`/`).
    #[error("names no unit")]
    NoUnit,
    /// A segment (unit id) is empty or blank; the 1-based position of the segment.
    #[error("unit id number {0} is empty")]
    EmptyUnitId(usize),
    /// A unit id is longer than [`MAX_UNIT_ID_LEN`] characters.
    #[error("unit id `{0}` is longer than 128 characters")]
    UnitIdTooLong(String),
    /// A unit id holds a control character.
    #[error("unit id `{0}` contains a control character")]
    ControlChar(String),
    /// A unit id given on its own holds `/`, which separates the ids of a path.
    #[error("unit id `{0}` contains `/`")]
    Slash(String),
    /// The path is deeper than [`MAX_DEPTH`] units.
    #[error("is {0} units deep; at most 16 are allowed")]
    TooDeep(usize),
}

/// Checks one unit id: not blank, at most [`MAX_UNIT_ID_LEN`] characters, no control
/// character, no `/`. `index` is its 1-based position, for the message.
fn check_unit_id(id: &str, index: usize) -> Result<(), UnitPathError> {
    if id.trim().is_empty() {
        return Err(UnitPathError::EmptyUnitId(index));
    }
    if id.chars().count() > MAX_UNIT_ID_LEN {
        return Err(UnitPathError::UnitIdTooLong(id.to_owned()));
    }
    if id.chars().any(char::is_control) {
        return Err(UnitPathError::ControlChar(id.to_owned()));
    }
    if id.contains('/') {
        return Err(UnitPathError::Slash(id.to_owned()));
    }
    Ok(())
}

impl UnitPath {
    /// Parses a path such as `/U-0001/U-0003/`.
    pub fn parse(s: &str) -> Result<Self, UnitPathError> {
        let inner = s.strip_prefix('/').ok_or(UnitPathError::NoLeadingSlash)?;
        let inner = inner.strip_suffix('/').ok_or(if inner.is_empty() {
            UnitPathError::NoUnit
        } else {
            UnitPathError::NoTrailingSlash
        })?;
        let mut depth = 0;
        for (i, id) in inner.split('/').enumerate() {
            check_unit_id(id, i + 1)?;
            depth += 1;
        }
        if depth > MAX_DEPTH {
            return Err(UnitPathError::TooDeep(depth));
        }
        Ok(Self(s.to_owned()))
    }

    /// The path of a top-level unit (one with no unit above it).
    pub fn top(unit_id: &str) -> Result<Self, UnitPathError> {
        check_unit_id(unit_id, 1)?;
        Ok(Self(format!("/{unit_id}/")))
    }

    /// The path of the unit `unit_id` directly below this one.
    pub fn child(&self, unit_id: &str) -> Result<Self, UnitPathError> {
        let depth = self.depth() + 1;
        check_unit_id(unit_id, depth)?;
        if depth > MAX_DEPTH {
            return Err(UnitPathError::TooDeep(depth));
        }
        Ok(Self(format!("{}{unit_id}/", self.0)))
    }

    /// The path as stored, with its leading and trailing slashes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unit ids from the top down to this unit.
    pub fn unit_ids(&self) -> impl Iterator<Item = &str> {
        // INVARIANT: `/a/b/` splits into "", "a", "b", ""; the ends are the only empty pieces.
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// This unit's own id: the last segment.
    pub fn unit_id(&self) -> &str {
        self.unit_ids().last().unwrap_or_default()
    }

    /// How many units the path names: 1 for a top-level unit.
    pub fn depth(&self) -> usize {
        self.unit_ids().count()
    }

    /// Whether no unit lies above this one.
    pub fn is_top_level(&self) -> bool {
        self.depth() == 1
    }

    /// The unit directly above, or `None` for a top-level unit.
    pub fn parent(&self) -> Option<UnitPath> {
        let without_slash = self.0.strip_suffix('/')?;
        let cut = without_slash.rfind('/')?;
        // `cut` is 0 for a top-level unit: its parent would be `/`, which names no unit.
        (cut > 0).then(|| Self(self.0.get(..=cut).unwrap_or_default().to_owned()))
    }

    /// This unit and every unit above it, nearest first.
    pub fn self_and_ancestors(&self) -> impl Iterator<Item = UnitPath> {
        std::iter::successors(Some(self.clone()), UnitPath::parent)
    }

    /// Whether this unit is `ancestor` or lies below it (is in its subtree).
    pub fn is_within(&self, ancestor: &UnitPath) -> bool {
        self.0.starts_with(&ancestor.0)
    }
}

impl fmt::Display for UnitPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for UnitPath {
    type Err = UnitPathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_paths_and_refuses_malformed_ones() {
        for ok in [
            "/U-0001/",
            "/U-0001/U-0003/U-0017/",
            "/临江市公安局/东湖分局/",
            "/a%_b/",
        ] {
            assert_eq!(
                UnitPath::parse(ok).map(|p| p.to_string()),
                Ok(ok.to_owned())
            );
        }
        let cases = [
            ("U-1/", UnitPathError::NoLeadingSlash),
            ("/", UnitPathError::NoUnit),
            ("", UnitPathError::NoLeadingSlash),
            ("/U-1", UnitPathError::NoTrailingSlash),
            ("/U-1//", UnitPathError::EmptyUnitId(2)),
            ("// ", UnitPathError::NoTrailingSlash),
            ("/ /", UnitPathError::EmptyUnitId(1)),
            ("/a\tb/", UnitPathError::ControlChar("a\tb".to_owned())),
        ];
        for (input, want) in cases {
            assert_eq!(UnitPath::parse(input), Err(want), "{input:?}");
        }
        let long = format!("/{}/", "x".repeat(129));
        assert!(matches!(
            UnitPath::parse(&long),
            Err(UnitPathError::UnitIdTooLong(_))
        ));
        let deep = format!("/{}", "u/".repeat(17));
        assert_eq!(UnitPath::parse(&deep), Err(UnitPathError::TooDeep(17)));
        assert!(UnitPath::parse(&format!("/{}", "u/".repeat(16))).is_ok());
    }

    #[test]
    fn navigation() {
        let p = UnitPath::parse("/A/B/C/").unwrap();
        assert_eq!(p.depth(), 3);
        assert_eq!(p.unit_id(), "C");
        assert_eq!(p.unit_ids().collect::<Vec<_>>(), ["A", "B", "C"]);
        assert_eq!(p.parent().unwrap().as_str(), "/A/B/");
        assert_eq!(UnitPath::parse("/A/").unwrap().parent(), None);
        let chain: Vec<String> = p.self_and_ancestors().map(|u| u.to_string()).collect();
        assert_eq!(chain, ["/A/B/C/", "/A/B/", "/A/"]);
        assert!(UnitPath::top("A").unwrap().is_top_level());
        assert_eq!(
            UnitPath::top("A").unwrap().child("B").unwrap().as_str(),
            "/A/B/"
        );
        assert_eq!(
            UnitPath::top("a/b"),
            Err(UnitPathError::Slash("a/b".to_owned()))
        );
    }

    #[test]
    fn within_respects_segment_boundaries() {
        let u = |s| UnitPath::parse(s).unwrap();
        assert!(u("/A/B/").is_within(&u("/A/")));
        assert!(u("/A/").is_within(&u("/A/")));
        assert!(!u("/A/").is_within(&u("/A/B/")));
        assert!(!u("/A/B2/").is_within(&u("/A/B/")));
        assert!(!u("/AB/").is_within(&u("/A/")));
    }
}
