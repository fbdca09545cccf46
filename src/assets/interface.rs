//! What a Terraform module offers the lessons: its variables and outputs, read from the module's
//! top-level `*.tf` files with an HCL parser, so `lint` can hold a step's `vars`, `outputs` and
//! `secret_outputs` against the module without running Terraform (which would need the registry).

use std::collections::BTreeMap;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum InterfaceError {
    #[error("assets/terraform/{module}/{file} is not valid HCL: {reason}")]
    Parse {
        module: String,
        file: String,
        reason: String,
    },
    #[error(transparent)]
    Asset(#[from] super::AssetError),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// Without a default, every apply and destroy must pass it.
    pub required: bool,
    pub sensitive: bool,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub sensitive: bool,
    /// The value expression as HCL text (for reference checks).
    pub value: String,
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleInterface {
    pub variables: BTreeMap<String, Variable>,
    pub outputs: BTreeMap<String, Output>,
}

/// Read the variables and outputs of `module` from its top-level `.tf` files.
pub fn read(module: &str, files: &[(String, Vec<u8>)]) -> Result<ModuleInterface, InterfaceError> {
    let mut interface = ModuleInterface::default();
    for (file, content) in files {
        // Nested folders hold templates and data, not configuration Terraform loads.
        if file.contains('/') || !file.ends_with(".tf") {
            continue;
        }
        let parse_error = |reason: String| InterfaceError::Parse {
            module: module.to_string(),
            file: file.clone(),
            reason,
        };
        let text = std::str::from_utf8(content).map_err(|e| parse_error(e.to_string()))?;
        let body = hcl::parse(text).map_err(|e| parse_error(e.to_string()))?;
        for block in body.blocks() {
            let Some(name) = block.labels().first().map(|l| l.as_str().to_string()) else {
                continue;
            };
            let attr = |key: &str| block.body().attributes().find(|a| a.key() == key);
            let is_true = |key: &str| {
                attr(key).is_some_and(|a| matches!(a.expr(), hcl::Expression::Bool(true)))
            };
            match block.identifier() {
                "variable" => {
                    interface.variables.insert(
                        name,
                        Variable {
                            required: attr("default").is_none(),
                            sensitive: is_true("sensitive"),
                            file: file.clone(),
                        },
                    );
                }
                "output" => {
                    let value = attr("value")
                        .map(|a| hcl::format::to_string(a.expr()).unwrap_or_default())
                        .unwrap_or_default();
                    interface.outputs.insert(
                        name,
                        Output {
                            sensitive: is_true("sensitive"),
                            value,
                            file: file.clone(),
                        },
                    );
                }
                _ => {}
            }
        }
    }
    Ok(interface)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(text: &str) -> Vec<(String, Vec<u8>)> {
        vec![
            ("main.tf".to_string(), text.as_bytes().to_vec()),
            // Templates in subfolders are not configuration.
            ("files/x.tf".to_string(), b"not { hcl".to_vec()),
        ]
    }

    #[test]
    fn variables_and_outputs_are_read_with_their_flags() {
        let got = read(
            "demo",
            &files(
                r#"
variable "region" { type = string }
variable "size" {
  type    = number
  default = 3
}
variable "key" {
  type      = string
  sensitive = true
}
output "endpoint" { value = "https://${var.region}.example" }
output "secret" {
  value     = random_password.pw.result
  sensitive = true
}
"#,
            ),
        )
        .unwrap();
        assert!(got.variables["region"].required);
        assert!(!got.variables["size"].required);
        assert!(got.variables["key"].sensitive);
        assert!(!got.outputs["endpoint"].sensitive);
        assert!(got.outputs["endpoint"].value.contains("var.region"));
        assert!(got.outputs["secret"].sensitive);
    }

    #[test]
    fn broken_hcl_names_the_file() {
        let err = read("demo", &[("vars.tf".into(), b"variable \"x\" {".to_vec())])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("assets/terraform/demo/vars.tf is not valid HCL"),
            "{err}"
        );
    }
}
