// Programs that must not compile, each with the error code it must fail
// with: every snippet in tests/compile_fail/ is compiled against this
// crate's rlib with rustc (--emit=metadata: type and borrow checks only),
// and must fail with exactly its error code (so a typo, which gives another
// error, fails the test; stable `compile_fail` doc tests pass on any error).
// ok_*.rs snippets are the control: they must compile.
use std::path::{Path, PathBuf};
use std::process::Command;

fn deps_dir() -> PathBuf {
    std::env::current_exe().unwrap().parent().unwrap().to_path_buf()
}

fn newest(dir: &Path, prefix: &str, ext: &str) -> PathBuf {
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with(prefix) && name.ends_with(ext) {
            let t = p.metadata().unwrap().modified().unwrap();
            if best.as_ref().map_or(true, |(bt, _)| t > *bt) {
                best = Some((t, p));
            }
        }
    }
    best.unwrap_or_else(|| panic!("no {prefix}*{ext} in {}", dir.display())).1
}

fn compile(snippet: &Path) -> (bool, String) {
    let deps = deps_dir();
    let rlib = newest(&deps, "libllamac-", ".rlib");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("compile_fail");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = Command::new(rustc)
        .args(["--edition", "2021", "--crate-type", "lib", "--emit=metadata", "--color=never"])
        .arg("--crate-name")
        .arg(snippet.file_stem().unwrap())
        .arg("--out-dir")
        .arg(&out_dir)
        .arg("--extern")
        .arg(format!("llamac={}", rlib.display()))
        .arg("-L")
        .arg(format!("dependency={}", deps.display()))
        .arg(snippet)
        .output()
        .expect("run rustc");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The error codes (E0597 ...) rustc reported.
fn codes(stderr: &str) -> Vec<String> {
    let mut v: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error[").and_then(|r| r.split(']').next()).map(str::to_string))
        .collect();
    v.dedup();
    v
}

fn expect_error(name: &str, code: &str) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/compile_fail").join(name);
    let (ok, stderr) = compile(&p);
    assert!(!ok, "{name} compiled, but must fail with {code}");
    let found = codes(&stderr);
    assert_eq!(found, vec![code.to_string()], "{name}: expected only {code}; rustc said:\n{stderr}");
    // the first error line, for the record (cargo test -- --nocapture)
    let first = stderr.lines().find(|l| l.starts_with("error[")).unwrap_or("");
    eprintln!("{name}: {first}");
}

#[test]
fn control_snippet_compiles() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/compile_fail/ok_owned_context.rs");
    let (ok, stderr) = compile(&p);
    assert!(ok, "the control snippet must compile:\n{stderr}");
}

#[test]
fn context_cannot_outlive_its_model() {
    expect_error("context_outlives_model.rs", "E0597");
}

#[test]
fn model_cannot_be_dropped_while_a_context_borrows_it() {
    expect_error("model_dropped_while_borrowed.rs", "E0505");
}

#[test]
fn context_is_not_sync() {
    expect_error("context_not_sync.rs", "E0277");
    expect_error("context_shared_across_threads.rs", "E0277");
}

#[test]
fn generator_cannot_outlive_its_context() {
    expect_error("generator_outlives_context.rs", "E0597");
}

#[test]
fn context_is_locked_while_a_generator_uses_it() {
    expect_error("context_used_during_generation.rs", "E0499");
}
