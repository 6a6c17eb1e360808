//! Reading a policy folder: the schema, the policies, their validation, and error positions.

use std::collections::BTreeMap;
use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet, Schema, ValidationMode, Validator};
use miette::Diagnostic;

use crate::error::{AuthzError, PolicyProblem};

/// The schema's file name; a folder has exactly one schema.
pub const SCHEMA_FILE: &str = "casewatch.cedarschema";

/// The extension of policy files.
pub const POLICY_EXTENSION: &str = "cedar";

/// A schema and a policy set that passed strict validation against it.
pub(crate) struct Loaded {
    pub schema: Schema,
    pub policies: PolicySet,
}

/// Parses and validates a policy folder given as `(file name, text)` pairs: the schema file
/// and every `*.cedar` file; other names are ignored. Every problem found is returned, each
/// with its file and position.
pub(crate) fn load_files(files: &[(String, String)]) -> Result<Loaded, AuthzError> {
    let mut problems = Vec::new();

    let schema = match files.iter().find(|(name, _)| name == SCHEMA_FILE) {
        None => {
            problems.push(problem(
                SCHEMA_FILE,
                None,
                None,
                "the schema file is missing".to_owned(),
            ));
            None
        }
        Some((_, text)) => parse_schema(text, &mut problems),
    };

    // Policy id → (file name, file text), to place validation errors.
    let mut sources: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    let mut policies = PolicySet::new();
    let policy_files: Vec<_> = files
        .iter()
        .filter(|(name, _)| name.ends_with(&format!(".{POLICY_EXTENSION}")))
        .collect();
    if policy_files.is_empty() {
        problems.push(problem(
            "*.cedar",
            None,
            None,
            "there is no policy file".to_owned(),
        ));
    }
    for (name, text) in policy_files {
        let parsed = match PolicySet::from_str(text) {
            Ok(set) => set,
            Err(errors) => {
                for e in errors.iter() {
                    problems.push(problem_at(name, text, None, e));
                }
                continue;
            }
        };
        for t in parsed.templates() {
            let at = position_of_text(text, &t.to_cedar());
            problems.push(problem(
                name,
                at,
                None,
                "templates (`?principal`, `?resource`) are not used".to_owned(),
            ));
        }
        for p in parsed.policies() {
            let at = p.to_cedar().and_then(|src| position_of_text(text, &src));
            let Some(id) = p.annotation("id").filter(|id| !id.trim().is_empty()) else {
                problems.push(problem(
                    name,
                    at,
                    None,
                    "the policy has no `@id(\"...\")` annotation".to_owned(),
                ));
                continue;
            };
            if let Some((other, _)) = sources.get(id) {
                problems.push(problem(
                    name,
                    at,
                    Some(id),
                    format!("the id is already used in `{other}`"),
                ));
                continue;
            }
            if let Err(e) = policies.add(p.new_id(PolicyId::new(id))) {
                problems.push(problem(name, at, Some(id), e.to_string()));
                continue;
            }
            sources.insert(id.to_owned(), (name, text));
        }
    }

    let Some(schema) = schema else {
        return Err(AuthzError::Policies(problems));
    };
    if !problems.is_empty() {
        return Err(AuthzError::Policies(problems));
    }

    let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
    // Warnings (a policy that can never apply, confusable characters …) are mistakes in files
    // that only we write, so they are refused like errors.
    let findings = validation
        .validation_errors()
        .map(|e| (e.policy_id().to_string(), e as &dyn Diagnostic))
        .chain(
            validation
                .validation_warnings()
                .map(|w| (w.policy_id().to_string(), w as &dyn Diagnostic)),
        );
    for (id, d) in findings {
        let (file, text) = sources.get(&id).copied().unwrap_or(("?", ""));
        problems.push(problem_at(file, text, Some(&id), d));
    }
    if problems.is_empty() {
        Ok(Loaded { schema, policies })
    } else {
        Err(AuthzError::Policies(problems))
    }
}

/// Parses the schema, recording its problems (warnings too: the file is ours).
fn parse_schema(text: &str, problems: &mut Vec<PolicyProblem>) -> Option<Schema> {
    match Schema::from_cedarschema_str(text) {
        Ok((schema, warnings)) => {
            let before = problems.len();
            for w in warnings {
                problems.push(problem_at(SCHEMA_FILE, text, None, &w));
            }
            (problems.len() == before).then_some(schema)
        }
        Err(e) => {
            problems.push(problem_at(SCHEMA_FILE, text, None, &e));
            None
        }
    }
}

fn problem(
    file: &str,
    position: Option<(usize, usize)>,
    policy: Option<&str>,
    message: String,
) -> PolicyProblem {
    PolicyProblem {
        file: file.to_owned(),
        position,
        policy: policy.map(str::to_owned),
        message,
    }
}

/// A problem from one of Cedar's diagnostics: its message, the text of its first label and
/// its help, placed at the label's offset in `text`.
fn problem_at(file: &str, text: &str, policy: Option<&str>, d: &dyn Diagnostic) -> PolicyProblem {
    let label = d.labels().and_then(|mut labels| labels.next());
    let mut message = d.to_string();
    if let Some(l) = label.as_ref().and_then(|l| l.label()) {
        message.push_str(&format!(": {l}"));
    }
    if let Some(help) = d.help() {
        message.push_str(&format!(" ({help})"));
    }
    let position = label.and_then(|l| line_column(text, l.offset()));
    problem(file, position, policy, message)
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> Option<(usize, usize)> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..)?.chars().count() + 1;
    Some((line, column))
}

/// Where a policy's own text starts in its file (its first occurrence).
fn position_of_text(text: &str, policy_text: &str) -> Option<(usize, usize)> {
    line_column(text, text.find(policy_text.trim())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "ab\n法制c\nd";
        assert_eq!(line_column(text, 0), Some((1, 1)));
        assert_eq!(line_column(text, 3), Some((2, 1)));
        assert_eq!(line_column(text, "ab\n法制".len()), Some((2, 3)));
        assert_eq!(line_column(text, 4), None); // inside 法
        assert_eq!(line_column(text, 100), None);
    }
}
