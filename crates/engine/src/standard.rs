//! The standard pack's files, embedded at build time from `rules/standard` (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/standard_files.rs"));
