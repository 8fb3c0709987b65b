//! How a lab instance is configured: which weaknesses are on.
//!
//! Kept apart from the server so the CLI can build and validate a configuration (`--hardened`,
//! `--switch NAME=on|off`) before anything binds a socket.

use crate::lab::switches::Switches;

/// Everything a lab instance needs to know before it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabConfig {
    /// Which deliberate weaknesses are present.
    pub switches: Switches,
}

impl LabConfig {
    /// Every weakness on: what built-in checks must report findings against.
    pub fn vulnerable() -> Self {
        Self {
            switches: Switches::all_on(),
        }
    }

    /// Every weakness off: what built-in checks must pass against.
    pub fn hardened() -> Self {
        Self {
            switches: Switches::all_off(),
        }
    }
}
