//! The errors of this crate: loading a policy folder, and the rare failure of one decision.

use std::fmt;
use std::path::PathBuf;

/// Why a policy folder could not be loaded, or a decision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// A file of the policy folder could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The schema or policies are wrong; every problem found, each with its file and position.
    #[error("{} problem(s) in the policies:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Policies(Vec<PolicyProblem>),
    /// Cedar refused to evaluate a request, or a policy failed while being evaluated. Cannot
    /// happen with validated policies and well-formed inputs; the decision is a denial.
    #[error("authorization request failed: {0}")]
    Request(String),
}

/// One problem in a policy folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyProblem {
    /// The file name within the folder, e.g. `officer.cedar`.
    pub file: String,
    /// 1-based line and column (in characters) in the file, when known.
    pub position: Option<(usize, usize)>,
    /// The policy's `@id`, when the problem is in one policy.
    pub policy: Option<String>,
    /// What is wrong (Cedar's own message, with its hint when it has one).
    pub message: String,
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(p) = &self.policy {
            write!(f, " [{p}]")?;
        }
        write!(f, ": {}", self.message)
    }
}
