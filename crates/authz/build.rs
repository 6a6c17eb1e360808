//! Embeds the repository's policy folder (`policies/`) into the crate, so that
//! `Authorizer::standard` needs no files at run time. The files stay the source: edit them, not
//! generated code.

use std::path::PathBuf;

fn main() {
    let dir = manifest_dir().join("../../policies");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|read| {
            read.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x == "cedar" || x == "cedarschema")
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    let entries: Vec<String> = paths
        .iter()
        .map(|p| {
            println!("cargo::rerun-if-changed={}", p.display());
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!(
                "    ({name:?}, include_str!({:?})),",
                p.display().to_string()
            )
        })
        .collect();
    let out =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("standard_policies.rs");
    let code = format!(
        "/// The files of `policies/` (schema and policies), by file name, in name order.\n\
         pub(crate) const FILES: &[(&str, &str)] = &[\n{}\n];\n",
        entries.join("\n")
    );
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo::warning=cannot write {}: {e}", out.display());
    }
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
