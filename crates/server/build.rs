//! Embeds the built web UI (`web/dist`, produced by `npm run build` in `web/` and committed) into
//! the crate, so that `casewatch serve` serves it with no files beside the binary. The sources in
//! `web/src` stay the source: `scripts/test` rebuilds `web/dist` and fails if it differs.

use std::path::PathBuf;

fn main() {
    let root = manifest_dir().join("../../web/dist");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    let mut stack = vec![(root.clone(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        println!("cargo::rerun-if-changed={}", dir.display());
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = format!("{rel}/{name}");
            if p.is_dir() {
                stack.push((p, path));
            } else {
                entries.push(format!(
                    "    ({path:?}, include_bytes!({:?})),",
                    p.display().to_string()
                ));
            }
        }
    }
    entries.sort();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("web_assets.rs");
    let code = format!(
        "/// The files of the built web UI by URL path (`/index.html`, `/assets/…`), sorted.\npub const FILES: &[(&str, &[u8])] = &[\n{}\n];\n",
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
