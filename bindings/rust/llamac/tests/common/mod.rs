// Shared helpers of the integration tests (included with `mod common;`).
#![allow(dead_code)]
use std::path::PathBuf;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap()
}

/// The model shipped in the repository.
pub fn kjv() -> PathBuf {
    repo().join("models/kjv-6m-f16.gguf")
}

/// A reference-data model (../shared beside the source tree), or None
/// after saying so on stderr; under CI=true a missing one fails the test.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = repo().join("../shared").join(rel);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {} is missing", p.display());
    }
    eprintln!("SKIP: {} not found", p.display());
    None
}

/// The `llamac` command-line tool of the build the library comes from:
/// $LLAMAC_CLI, else LLAMAC_LIB_DIR/../tools/llamac, else build/tools/llamac.
pub fn cli() -> Option<PathBuf> {
    let mut cands = Vec::new();
    if let Some(p) = std::env::var_os("LLAMAC_CLI") {
        cands.push(PathBuf::from(p));
    }
    if let Some(d) = std::env::var_os("LLAMAC_LIB_DIR") {
        cands.push(PathBuf::from(d).join("../tools/llamac"));
    }
    cands.push(repo().join("build/tools/llamac"));
    for c in cands {
        if c.is_file() {
            return Some(c);
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but the llamac tool was not found (set LLAMAC_CLI)");
    }
    eprintln!("SKIP: the llamac tool was not found (set LLAMAC_CLI)");
    None
}
