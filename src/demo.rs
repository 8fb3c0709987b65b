//! `apiward lab` and `apiward demo` (wired to the lab module).

use crate::cli::{DemoArgs, LabArgs};
use std::process::ExitCode;

/// Serves the lab until interrupted.
pub fn serve_lab(_a: LabArgs) -> Result<ExitCode, String> {
    Err("the lab is not built into this binary yet".to_owned())
}

/// Runs the demo.
pub fn run_demo(_a: DemoArgs) -> Result<ExitCode, String> {
    Err("the demo is not built into this binary yet".to_owned())
}
