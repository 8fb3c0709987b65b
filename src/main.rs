//! The `apiward` command line; all logic lives in the library.

fn main() -> std::process::ExitCode {
    apiward::cli::main()
}
