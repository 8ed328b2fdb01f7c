// Finds libllamac for linking, in this order:
//   1. LLAMAC_LIB_DIR: a directory holding libllamac.so (the test command
//      sets it to the build it just made);
//   2. `pkg-config --variable=libdir llamac`, when that program knows llamac;
//   3. the source tree's build/lib (bindings/rust/llamac-sys/../../../build),
//      for use in-tree after `meson setup build && meson compile -C build`.
// The directory goes to rustc's link search path and, as the `links`
// metadata DEP_LLAMAC_LIB_DIR, to dependent crates, whose build scripts set
// an rpath with it (the `llamac` crate does) so that their examples and
// tests run without LD_LIBRARY_PATH.
use std::env;
use std::path::PathBuf;
use std::process::Command;

fn lib_dir() -> Option<PathBuf> {
    if let Some(dir) = env::var_os("LLAMAC_LIB_DIR") {
        if !dir.is_empty() {
            return Some(PathBuf::from(dir));
        }
    }
    if let Ok(out) = Command::new("pkg-config").args(["--variable=libdir", "llamac"]).output() {
        if out.status.success() {
            let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if !s.is_empty() {
                return Some(PathBuf::from(s));
            }
        }
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let in_tree = manifest.join("../../../build/lib");
    if in_tree.join("libllamac.so").exists() {
        return Some(in_tree.canonicalize().unwrap_or(in_tree));
    }
    None
}

fn main() {
    println!("cargo:rerun-if-env-changed=LLAMAC_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    println!("cargo:rerun-if-changed=build.rs");
    match lib_dir() {
        Some(dir) => {
            println!("cargo:rustc-link-search=native={}", dir.display());
            println!("cargo:lib_dir={}", dir.display());
            // rpath for this crate's own tests
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
        None => println!(
            "cargo:warning=llamac-sys: libllamac not found: set LLAMAC_LIB_DIR to the \
             directory holding libllamac.so (see docs/rust.md)"
        ),
    }
    println!("cargo:rustc-link-lib=dylib=llamac");
}
