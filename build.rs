//! Rebuild when a built-in check or suite changes: they are embedded with `include_dir!`.
fn main() {
    println!("cargo:rerun-if-changed=checks");
    println!("cargo:rerun-if-changed=suites");
}
