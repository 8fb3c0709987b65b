//! The API's security checks, run by `cargo test --test security` or `cargo nextest run`.
//! Point it at a running API with `APIWARD_BASE_URL=http://127.0.0.1:PORT`.

fn main() -> std::process::ExitCode {
    apiward::Scan::new("security/profile.yaml")
        .without_builtin()
        .checks_dir("security/checks")
        .main()
}
