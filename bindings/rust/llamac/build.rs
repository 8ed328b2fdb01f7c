// Sets an rpath to the directory llamac-sys linked libllamac from (its
// `links` metadata, DEP_LLAMAC_LIB_DIR), so this crate's examples and tests
// run without LD_LIBRARY_PATH. Programs built elsewhere set their own.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LLAMAC_LIB_DIR");
    if let Some(dir) = std::env::var_os("DEP_LLAMAC_LIB_DIR") {
        let dir = dir.to_string_lossy();
        if !dir.is_empty() {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        }
    }
}
