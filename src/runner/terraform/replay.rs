//! The test seam of the Terraform runner: replay the outputs a real apply gave instead of
//! running Terraform. `CDC_WORKSHOP_TEST_TERRAFORM_REPLAY=<dir>` names a folder holding one
//! `<module>.json` per module, in the shape of `terraform output -json`.
//!
//! It exists for one purpose: running a whole cloud track against local stand-ins, where no
//! cloud provider can be reached. Everything around Terraform still runs for real: variables
//! are rendered (a missing value fails as it would), outputs are collected and checked against
//! the step, sensitive ones become secrets, and the ledger records and forgets the module, so
//! `status`, `teardown` and a restarted guide behave as after a real apply. Every use says so in
//! the step's log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::backend::terraform::output::{OutputValue, parse_outputs};

/// The setting that turns the seam on.
pub const REPLAY_ENV: &str = "CDC_WORKSHOP_TEST_TERRAFORM_REPLAY";

#[derive(Debug, Clone)]
pub struct Replay {
    dir: PathBuf,
}

impl Replay {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The recorded outputs of `module`, or why they cannot be read.
    pub fn outputs(&self, module: &str) -> Result<BTreeMap<String, OutputValue>, String> {
        let path = self.dir.join(format!("{module}.json"));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "{REPLAY_ENV} is set, but {} cannot be read: {e}; add the module's `terraform output -json` there or unset {REPLAY_ENV}",
                path.display()
            )
        })?;
        parse_outputs(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_read_per_module_and_a_missing_file_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("net.json"),
            r#"{"endpoint":{"sensitive":false,"type":"string","value":"e:9092"},
                "key":{"sensitive":true,"type":"string","value":"k"}}"#,
        )
        .unwrap();
        let replay = Replay::new(dir.path().to_path_buf());
        let got = replay.outputs("net").unwrap();
        assert_eq!(got["endpoint"].as_text(), "e:9092");
        assert!(got["key"].sensitive);
        let err = replay.outputs("app").unwrap_err();
        assert!(err.contains("app.json cannot be read"), "{err}");
        assert!(
            err.contains("unset CDC_WORKSHOP_TEST_TERRAFORM_REPLAY"),
            "{err}"
        );
    }
}
