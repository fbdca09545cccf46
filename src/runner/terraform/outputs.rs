//! A module's outputs → the step's outputs: declared ones shown, sensitive ones stored as
//! secrets (never shown, never journaled).

use std::collections::BTreeMap;

use super::TerraformStepError;
use crate::backend::terraform::output::OutputValue;
use crate::backend::terraform::progress::ApplyProgress;
use crate::lesson::TerraformStep;
use crate::values::Secrets;

/// The outputs the apply's own stream already carried, when that is enough: no secret outputs
/// are wanted (sensitive values come only from `terraform output -json`) and every declared
/// output arrived with a value. Saves a second Terraform process per step.
pub fn from_stream(
    declared: &[String],
    step: &TerraformStep,
    progress: &ApplyProgress,
) -> Option<BTreeMap<String, OutputValue>> {
    if !step.secret_outputs.is_empty() {
        return None;
    }
    declared
        .iter()
        .map(|name| {
            let streamed = progress.outputs.get(name)?;
            let value = streamed.value.clone().filter(|_| !streamed.sensitive)?;
            Some((
                name.clone(),
                OutputValue {
                    sensitive: false,
                    kind: serde_json::Value::Null,
                    value,
                },
            ))
        })
        .collect()
}

/// The declared outputs with their values; every `secret_outputs` entry goes into `secrets`.
pub fn collect(
    module: &str,
    declared: &[String],
    step: &TerraformStep,
    all: &BTreeMap<String, OutputValue>,
    secrets: &Secrets,
) -> Result<BTreeMap<String, String>, TerraformStepError> {
    let missing = |name: &str| TerraformStepError::MissingOutput {
        module: module.to_string(),
        name: name.to_string(),
        have: if all.is_empty() {
            "none".to_string()
        } else {
            all.keys().cloned().collect::<Vec<_>>().join(", ")
        },
    };
    // Secrets first: a shown output that happens to contain one is then redacted, not leaked.
    for (output, secret) in &step.secret_outputs {
        let value = all.get(output).ok_or_else(|| missing(output))?;
        secrets.insert(secret, &value.as_text());
    }
    let mut shown = BTreeMap::new();
    for name in declared {
        let value = all.get(name).ok_or_else(|| missing(name))?;
        if value.sensitive {
            return Err(TerraformStepError::SensitiveOutput {
                module: module.to_string(),
                name: name.clone(),
            });
        }
        shown.insert(name.clone(), value.as_text());
    }
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::output::parse_outputs;
    use crate::lesson::TerraformAction;
    use crate::redact::Redactor;

    fn step(secret_outputs: &[(&str, &str)]) -> TerraformStep {
        TerraformStep {
            module: "demo".into(),
            action: TerraformAction::Apply,
            vars: BTreeMap::new(),
            secret_outputs: secret_outputs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    const OUTPUTS: &str = r#"{
        "endpoint": {"sensitive": false, "type": "string", "value": "pkc-1.example:9092"},
        "port": {"sensitive": false, "type": "number", "value": 9092},
        "api_secret": {"sensitive": true, "type": "string", "value": "s3cr3t-value"}
    }"#;

    #[test]
    fn shown_outputs_are_text_and_sensitive_ones_become_redacted_secrets() {
        let all = parse_outputs(OUTPUTS).unwrap();
        let redactor = Redactor::new();
        let secrets = Secrets::new(redactor.clone());
        let shown = collect(
            "demo",
            &["endpoint".into(), "port".into()],
            &step(&[("api_secret", "KAFKA_SECRET")]),
            &all,
            &secrets,
        )
        .unwrap();
        assert_eq!(shown["endpoint"], "pkc-1.example:9092");
        assert_eq!(shown["port"], "9092");
        assert!(secrets.contains("KAFKA_SECRET"));
        assert!(!redactor.redact("token s3cr3t-value").contains("s3cr3t"));
    }

    #[test]
    fn the_apply_stream_supplies_plain_outputs_but_never_stands_in_for_secrets() {
        let mut progress = ApplyProgress::default();
        progress.apply(&crate::backend::terraform::ui::parse_line(
            r#"{"@level":"info","@message":"Outputs: 2","type":"outputs","outputs":{"endpoint":{"sensitive":false,"type":"string","value":"e:9092"},"api_secret":{"sensitive":true,"type":"string"}}}"#,
        ));
        let got = from_stream(&["endpoint".into()], &step(&[]), &progress).unwrap();
        assert_eq!(got["endpoint"].as_text(), "e:9092");
        assert!(from_stream(&["api_secret".into()], &step(&[]), &progress).is_none());
        assert!(from_stream(&["nope".into()], &step(&[]), &progress).is_none());
        let wants_secret = step(&[("api_secret", "S")]);
        assert!(from_stream(&["endpoint".into()], &wants_secret, &progress).is_none());
    }

    #[test]
    fn a_sensitive_output_cannot_be_shown_and_a_missing_one_is_named() {
        let all = parse_outputs(OUTPUTS).unwrap();
        let secrets = Secrets::new(Redactor::new());
        let err = collect("demo", &["api_secret".into()], &step(&[]), &all, &secrets)
            .unwrap_err()
            .to_string();
        assert!(err.contains("list it under `secret_outputs`"), "{err}");
        let err = collect("demo", &["nope".into()], &step(&[]), &all, &secrets)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no output `nope` (it has: api_secret, endpoint, port)"),
            "{err}"
        );
    }
}
