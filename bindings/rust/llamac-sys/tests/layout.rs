// Compares the layout of every #[repr(C)] struct of llamac-sys with the C
// compiler's: tests/layout.c (generated with tests/layout_rs.rs from the
// header) is compiled with $CC (default cc) against include/llamac.h and
// run; each line (struct size and alignment, field offset and size) must
// equal the one Rust computes.
#[path = "layout/layout_rs.rs"]
mod layout_rs;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn struct_layouts_match_the_c_compiler() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let include = manifest.join("../../../include");
    let src = manifest.join("tests/layout.c");
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("llamac_layout");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(&include)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc}: {e}"));
    assert!(out.status.success(), "{cc} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(&exe).output().expect("run layout program");
    assert!(out.status.success());
    let c: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    let rust = layout_rs::rust_layout();
    assert!(c.len() > 100, "only {} lines from the C program", c.len());
    let mut bad = Vec::new();
    for (i, (cl, rl)) in c.iter().zip(rust.iter()).enumerate() {
        if cl != rl {
            bad.push(format!("line {i}: C `{cl}` vs Rust `{rl}`"));
        }
    }
    if c.len() != rust.len() {
        bad.push(format!("C printed {} lines, Rust computed {}", c.len(), rust.len()));
    }
    assert!(bad.is_empty(), "layout mismatches:\n{}", bad.join("\n"));
}

#[test]
fn every_function_links() {
    let f = layout_rs::functions();
    assert!(f.len() > 150, "{} functions", f.len());
    for (name, addr) in f {
        assert_ne!(addr, 0, "{name}");
    }
}
