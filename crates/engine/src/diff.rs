//! What a change of rule pack would change: every case evaluated under the old and the new pack,
//! findings compared by (rule, subject, starting or triggering event). Used by `casewatch rules
//! diff` and the server's dry run; nothing is written anywhere.

use std::collections::BTreeMap;

use casewatch_core::Event;
use jiff::Timestamp;

use crate::finding::State;
use crate::pack::Pack;
use crate::time::Calendar;

/// How one rule's findings in one unit's cases change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffCell {
    /// Findings that arise only under the new pack.
    pub appear: u64,
    /// Findings that arise only under the old pack.
    pub disappear: u64,
    /// Findings under both whose state differs.
    pub change: u64,
    /// The first few changed findings, in case order.
    pub examples: Vec<DiffExample>,
}

/// One finding that a pack change changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffExample {
    /// The case.
    pub case: String,
    /// The person or item, `None` for a case-level rule.
    pub subject: Option<String>,
    /// The starting or triggering event.
    pub reference: String,
    /// The state under the old pack, `None` if the finding does not arise there.
    pub before: Option<State>,
    /// The state under the new pack, `None` if the finding does not arise there.
    pub after: Option<State>,
}

/// The comparison of two packs over the cases given to [`PackDiff::add_case`].
#[derive(Debug, Clone, Default)]
pub struct PackDiff {
    /// (rule, owning unit) → what changes; only cells with a change.
    pub cells: BTreeMap<(String, Option<String>), DiffCell>,
    /// Cases compared.
    pub n_cases: u64,
    /// Examples kept per cell.
    max_examples: usize,
}

/// A finding's identity across packs: (rule, subject, reference).
type Key = (String, Option<String>, String);

impl PackDiff {
    /// An empty comparison that keeps up to `max_examples` examples per rule and unit.
    pub fn new(max_examples: usize) -> Self {
        Self {
            max_examples,
            ..Self::default()
        }
    }

    /// Evaluates one case under both packs at `now` and counts what differs.
    #[expect(
        clippy::too_many_arguments,
        reason = "the case's parts come from storage rows; a struct would only rename them"
    )]
    pub fn add_case(
        &mut self,
        old: &Pack,
        new: &Pack,
        cal: &Calendar,
        case_id: &str,
        unit: Option<&str>,
        events: &[Event],
        now: Timestamp,
    ) {
        let states = |pack: &Pack| -> BTreeMap<Key, State> {
            crate::evaluate(pack, cal, events, now)
                .into_iter()
                .map(|f| {
                    let key = (
                        f.rule.to_string(),
                        f.subject.as_deref().map(str::to_owned),
                        f.reference.to_string(),
                    );
                    (key, f.state)
                })
                .collect()
        };
        let before = states(old);
        let mut after = states(new);
        let mut changes: Vec<(Key, Option<State>, Option<State>)> = Vec::new();
        for (key, st) in before {
            match after.remove(&key) {
                None => changes.push((key, Some(st), None)),
                Some(new_st) if new_st != st => changes.push((key, Some(st), Some(new_st))),
                Some(_) => {}
            }
        }
        changes.extend(after.into_iter().map(|(key, st)| (key, None, Some(st))));
        changes.sort_by(|a, b| a.0.cmp(&b.0));
        for ((rule, subject, reference), before, after) in changes {
            let cell = self
                .cells
                .entry((rule, unit.map(str::to_owned)))
                .or_default();
            match (before, after) {
                (None, _) => cell.appear += 1,
                (_, None) => cell.disappear += 1,
                _ => cell.change += 1,
            }
            if cell.examples.len() < self.max_examples {
                cell.examples.push(DiffExample {
                    case: case_id.to_owned(),
                    subject,
                    reference,
                    before,
                    after,
                });
            }
        }
        self.n_cases += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_limit_changes_only_its_rule() {
        let old = Pack::standard().unwrap();
        let mut files = old.files.clone();
        let path = "clocks/criminal_detention_family_notice.toml";
        let text = files
            .get(path)
            .unwrap()
            .replace("hours = 24", "hours = 2400");
        files.insert(path.into(), text);
        // Too long a limit is refused: a typo guard.
        assert!(Pack::from_files(files.clone()).is_err());
        let text = files
            .get(path)
            .unwrap()
            .replace("hours = 2400", "hours = 720");
        files.insert(path.into(), text);
        let new = Pack::from_files(files).unwrap();
        let events: Vec<Event> = crate::scenario::parse_events(concat!(
            r#"{"id":"e1","type":"case.accepted","case":"C1","at":"2026-03-01T09:00:00+08:00","unit":"U-1","data":{"kind":"criminal"}}"#,
            "\n",
            r#"{"id":"e2","type":"detention.started","case":"C1","subject":"P1","at":"2026-03-02T10:23:00+08:00"}"#,
        ))
        .unwrap();
        let now: Timestamp = "2026-03-04T12:00:00+08:00".parse().unwrap();
        let mut diff = PackDiff::new(2);
        diff.add_case(
            &old,
            &new,
            &Calendar::standard(),
            "C1",
            Some("U-1"),
            &events,
            now,
        );
        assert_eq!(diff.n_cases, 1);
        let rules: Vec<&str> = diff.cells.keys().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rules, ["criminal_detention_family_notice"]);
        let cell = diff.cells.values().next().unwrap();
        assert_eq!((cell.appear, cell.disappear, cell.change), (0, 0, 1));
        let example = cell.examples.first().unwrap();
        assert_eq!(
            (example.before, example.after),
            (Some(State::Overdue), Some(State::Running))
        );
    }
}
