//! Configuration: defaults, then a TOML file, then `CASEWATCH_*` environment variables, then
//! command-line flags. Later sources win.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The settings every command may need.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://PATH` (default `casewatch.db` in the working directory) or `postgres://…`.
    pub database_url: String,
    /// The address `serve` listens on.
    pub listen: String,
    /// The largest request body `serve` accepts, in bytes.
    pub body_limit: usize,
    /// A file holding the Ed25519 key that signs the audit trail (`casewatch audit keygen`).
    /// Without it a key kept in the database is used, which a database thief could use too.
    #[serde(default)]
    pub audit_key_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://casewatch.db".into(),
            listen: "127.0.0.1:8080".into(),
            body_limit: 16 * 1024 * 1024,
            audit_key_file: None,
        }
    }
}

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "casewatch.toml";

/// Values given as flags, which override every other source.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// `--body-limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_limit: Option<usize>,
}

/// Loads the configuration. An explicitly named file must exist; the default one may not.
pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    match file {
        Some(path) => {
            if !path.exists() {
                anyhow::bail!("配置文件 `{}` 不存在", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        None => {
            let default = PathBuf::from(DEFAULT_CONFIG_FILE);
            if default.exists() {
                figment = figment.merge(Toml::file(default));
            }
        }
    }
    figment
        .merge(Env::prefixed("CASEWATCH_").only(&[
            "database_url",
            "listen",
            "body_limit",
            "audit_key_file",
        ]))
        .merge(Serialized::defaults(overrides))
        .extract()
        .map_err(|e| anyhow::anyhow!("配置无效：{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "database_url = \"sqlite://from-file.db\"\nlisten = \"0.0.0.0:9000\"\n",
        )?;
        let c = load(Some(&file), &Overrides::default())?;
        assert_eq!(c.database_url, "sqlite://from-file.db");
        assert_eq!(c.listen, "0.0.0.0:9000");
        let c = load(
            Some(&file),
            &Overrides {
                database_url: Some("postgres://x/y".into()),
                ..Overrides::default()
            },
        )?;
        assert_eq!(c.database_url, "postgres://x/y");
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert!(
            load(
                Some(&dir.path().join("missing.toml")),
                &Overrides::default()
            )
            .is_err()
        );
        Ok(())
    }
}
