//! Embeds the standard rule pack (`rules/standard`) into the crate: `pack.toml`, the rule files
//! and the rules' own scenarios, so that `casewatch check`, `rules test` and the server work
//! without a pack folder. The files stay the source: edit them, not generated code.

use std::path::{Path, PathBuf};

fn main() {
    let root = manifest_dir().join("../../rules/standard");
    let mut entries = Vec::new();
    let meta = root.join("pack.toml");
    println!("cargo::rerun-if-changed={}", meta.display());
    assert!(
        meta.is_file(),
        "the standard rule pack is missing: no {}",
        meta.display()
    );
    entries.push(entry("pack.toml", &meta));
    for sub in ["clocks", "checks"] {
        let dir = root.join(sub);
        println!("cargo::rerun-if-changed={}", dir.display());
        for p in files_in(&dir) {
            if p.extension().is_some_and(|x| x == "toml") {
                entries.push(entry(&format!("{sub}/{}", file_name(&p)), &p));
            }
        }
    }
    let scenarios = root.join("scenarios");
    println!("cargo::rerun-if-changed={}", scenarios.display());
    let mut stack = vec![(scenarios, "scenarios".to_owned())];
    while let Some((dir, rel)) = stack.pop() {
        for p in files_in(&dir) {
            let name = file_name(&p);
            if p.is_dir() {
                stack.push((p.clone(), format!("{rel}/{name}")));
            } else if name.ends_with(".events.jsonl") || name.ends_with(".expect.json") {
                entries.push(entry(&format!("{rel}/{name}"), &p));
            }
        }
    }
    entries.sort();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("standard_files.rs");
    let code = format!(
        "/// The files of the standard pack, by path relative to the pack, sorted.\npub const FILES: &[(&str, &str)] = &[\n{}\n];\n",
        entries.join("\n")
    );
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo::warning=cannot write {}: {e}", out.display());
    }
}

/// The paths in `dir`, sorted; none if it cannot be read.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    paths
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn entry(rel: &str, path: &Path) -> String {
    format!(
        "    ({rel:?}, include_str!({:?})),",
        path.display().to_string()
    )
}

/// The crate's folder, as cargo gives it to the running build script. Not `env!`: that is the
/// folder the script was compiled in, and cargo reuses a compiled script for a copy of the
/// workspace elsewhere (a worktree sharing the target folder), which would then read the files
/// of the first copy, or none once it is gone.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default()
}
