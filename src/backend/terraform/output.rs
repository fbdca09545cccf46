//! `terraform output -json` and `terraform version -json`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use crate::lesson::template::SECRET_MASK;

/// The oldest Terraform the guide drives: `terraform_data` and redacted sensitive outputs in
/// the stream both need 1.4.
pub const MIN_VERSION: (u32, u32, u32) = (1, 4, 0);
pub const INSTALL_URL: &str = "https://developer.hashicorp.com/terraform/install";

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OutputError {
    #[error(
        "`terraform {command}` printed something that is not its JSON ({reason}); run it by hand to see why"
    )]
    NotJson {
        command: &'static str,
        reason: String,
    },
    #[error("terraform {found} is too old: the guide needs {}.{} or newer (install: {INSTALL_URL})", MIN_VERSION.0, MIN_VERSION.1)]
    TooOld { found: String },
    #[error("cannot read the version `{0}` reported by terraform")]
    BadVersion(String),
}

/// One output of a module's state. Sensitive values are present here (and only here).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutputValue {
    pub sensitive: bool,
    #[serde(default, rename = "type")]
    pub kind: Value,
    pub value: Value,
}

impl OutputValue {
    /// The value as a template sees it: strings bare, everything else as compact JSON.
    pub fn as_text(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// The value as a person may see it.
    pub fn display(&self) -> String {
        if self.sensitive {
            SECRET_MASK.to_string()
        } else {
            self.as_text()
        }
    }
}

pub fn parse_outputs(json: &str) -> Result<BTreeMap<String, OutputValue>, OutputError> {
    serde_json::from_str(json).map_err(|e| OutputError::NotJson {
        command: "output -json",
        reason: e.to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VersionInfo {
    pub terraform_version: String,
    #[serde(default)]
    pub platform: String,
}

impl VersionInfo {
    pub fn parse(json: &str) -> Result<Self, OutputError> {
        serde_json::from_str(json).map_err(|e| OutputError::NotJson {
            command: "version -json",
            reason: e.to_string(),
        })
    }

    /// `(major, minor, patch)`; a pre-release suffix (`1.10.0-beta1`) is ignored.
    pub fn numbers(&self) -> Result<(u32, u32, u32), OutputError> {
        let core = self
            .terraform_version
            .split(['-', '+'])
            .next()
            .unwrap_or_default();
        let mut parts = core.split('.').map(str::parse::<u32>);
        match (parts.next(), parts.next(), parts.next().unwrap_or(Ok(0))) {
            (Some(Ok(a)), Some(Ok(b)), Ok(c)) => Ok((a, b, c)),
            _ => Err(OutputError::BadVersion(self.terraform_version.clone())),
        }
    }

    /// Ok when this Terraform is new enough for the guide.
    pub fn check(&self) -> Result<(), OutputError> {
        if self.numbers()? >= MIN_VERSION {
            Ok(())
        } else {
            Err(OutputError::TooOld {
                found: self.terraform_version.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(v: &str) -> VersionInfo {
        VersionInfo {
            terraform_version: v.into(),
            platform: String::new(),
        }
    }

    #[test]
    fn versions_are_compared_numerically() {
        assert!(version("1.4.0").check().is_ok());
        assert!(version("1.10.2").check().is_ok());
        assert!(version("1.15.5-dev").check().is_ok());
        let err = version("1.3.9").check().unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "terraform 1.3.9 is too old: the guide needs 1.4 or newer (install: {INSTALL_URL})"
            )
        );
        assert_eq!(
            version("one.two").check().unwrap_err(),
            OutputError::BadVersion("one.two".into())
        );
    }

    #[test]
    fn output_values_render_for_templates_and_for_people() {
        let outputs = parse_outputs(r#"{"s":{"sensitive":true,"type":"string","value":"pw"},"n":{"sensitive":false,"type":"number","value":3}}"#).unwrap();
        assert_eq!(
            (outputs["s"].as_text(), outputs["s"].display()),
            ("pw".to_string(), SECRET_MASK.to_string())
        );
        assert_eq!(outputs["n"].display(), "3");
        assert!(
            parse_outputs("Error: no state")
                .unwrap_err()
                .to_string()
                .contains("output -json")
        );
    }
}
