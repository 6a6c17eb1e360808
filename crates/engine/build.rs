//! Embeds the standard rule pack (`rules/standard`) into the crate, so that `casewatch check`
//! works without a pack folder. The files stay the source: edit them, not generated code.

use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/standard");
    let mut entries = Vec::new();
    for sub in ["clocks", "checks"] {
        let dir = root.join(sub);
        println!("cargo::rerun-if-changed={}", dir.display());
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = read
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            entries.push(format!(
                "    (\"{sub}/{name}\", include_str!({:?})),",
                p.display().to_string()
            ));
        }
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default())
        .join("standard_files.rs");
    let code = format!(
        "/// The files of the standard pack, by path relative to the pack.\npub const FILES: &[(&str, &str)] = &[\n{}\n];\n",
        entries.join("\n")
    );
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo::warning=cannot write {}: {e}", out.display());
    }
}
