//! Terraform's `-json` stream, `output -json` and `version -json` as recorded from Terraform
//! 1.11.4 (`shared/fixtures/terraform-ui/`), parsed into what the guide shows.

#![allow(clippy::expect_used, reason = "fixture reading fails the test loudly")]

#[path = "support/fixtures.rs"]
mod fixtures;

use std::path::{Path, PathBuf};

use cdc_workshop::backend::terraform::output::{VersionInfo, parse_outputs};
use cdc_workshop::backend::terraform::progress::{ApplyProgress, ResourceState};
use cdc_workshop::backend::terraform::ui::{Operation, Severity, UiMessage, parse_line};

fn recordings() -> Option<PathBuf> {
    fixtures::dir("terraform-ui/generated-tf-1.11.4")
}

fn messages(dir: &Path, file: &str) -> Vec<UiMessage> {
    let text = std::fs::read_to_string(dir.join(file)).expect("read the recording");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

fn progress(dir: &Path, file: &str) -> ApplyProgress {
    let mut p = ApplyProgress::default();
    for m in messages(dir, file) {
        p.apply(&m);
    }
    p
}

#[test]
fn every_recorded_line_is_a_known_typed_message() {
    let Some(dir) = recordings() else { return };
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("list recordings") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "jsonl") {
            continue;
        }
        files += 1;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let all = messages(&dir, &name);
        assert!(
            matches!(all.first(), Some(UiMessage::Version { .. })),
            "{name}: version comes first"
        );
        for m in &all {
            assert!(
                !matches!(m, UiMessage::Unknown { .. } | UiMessage::Text(_)),
                "{name}: not understood: {m:?}"
            );
            assert!(!m.text().is_empty(), "{name}: nothing to show for {m:?}");
        }
    }
    assert_eq!(files, 14, "all recorded streams were read");
}

#[test]
fn a_successful_apply_reports_every_resource_its_provisioner_output_and_outputs() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "apply-saved-plan.success.jsonl");
    assert!(p.succeeded());
    assert_eq!(p.terraform_version.as_deref(), Some("1.11.4"));
    assert_eq!((p.finished(), p.total()), (4, 4));
    assert_eq!(
        p.result.map(|(op, c)| (op, c.add)),
        Some((Operation::Apply, 4))
    );
    let cluster = &p.resources["terraform_data.cluster"];
    assert_eq!(cluster.state, ResourceState::Done);
    assert!(cluster.id.is_some());
    assert!(
        cluster
            .provision_output
            .iter()
            .any(|l| l == "provisioning cluster"),
        "{:?}",
        cluster.provision_output
    );
    assert!(
        p.resources
            .contains_key("terraform_data.topics[\"salesforce_contacts\"]"),
        "{:?}",
        p.order
    );
    // The stream leaves sensitive values out; only `output -json` has them.
    let secret = &p.outputs["D_02_SRSecret"];
    assert!(secret.sensitive && secret.value.is_none());
    assert_eq!(
        p.outputs["A01_cc_cdc_env"]
            .value
            .as_ref()
            .and_then(|v| v.as_str()),
        Some("env-cdc-workshop")
    );
}

#[test]
fn a_slow_resource_reports_progress_every_ten_seconds() {
    let Some(dir) = recordings() else { return };
    let all = messages(&dir, "apply-auto-approve.apply-progress.jsonl");
    let elapsed: Vec<String> = all
        .iter()
        .filter_map(|m| match m {
            UiMessage::ApplyProgress(h) => Some(m.text().replace(&h.resource.addr, "R")),
            _ => None,
        })
        .collect();
    assert_eq!(
        elapsed,
        vec![
            "R: still creating… [10s elapsed]",
            "R: still creating… [20s elapsed]"
        ]
    );
    let p = progress(&dir, "apply-auto-approve.apply-progress.jsonl");
    assert!(p.succeeded());
    assert!(p.resources["terraform_data.flink_statement"].elapsed_secs >= 20);
}

#[test]
fn a_failing_provisioner_fails_its_resource_with_the_error_and_no_summary() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "apply-auto-approve.provisioner-error.jsonl");
    assert!(!p.succeeded());
    assert!(p.result.is_none(), "a failed apply has no closing summary");
    assert_eq!(
        p.resources["terraform_data.connector"].state,
        ResourceState::Failed
    );
    assert_eq!(
        p.resources["terraform_data.environment"].state,
        ResourceState::Done
    );
    let error = p.errors().next().expect("an error diagnostic");
    assert_eq!(error.summary, "local-exec provisioner error");
    assert_eq!(error.address.as_deref(), Some("terraform_data.connector"));
    assert!(
        error
            .range
            .as_ref()
            .is_some_and(|r| r.filename == "main.tf" && r.start.line > 0)
    );
    assert!(
        p.resources["terraform_data.connector"]
            .provision_output
            .iter()
            .any(|l| l.contains("validating connector config"))
    );
}

#[test]
fn a_held_state_lock_names_its_holder() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "apply.state-lock-error.jsonl");
    let lock = p.lock.expect("lock info");
    assert_eq!(lock.id, "69697c6f-bd90-0233-e66b-89a9e471d864");
    assert_eq!(lock.who, "runner@workshop-host");
    assert_eq!(lock.operation, "OperationTypeApply");
    assert_eq!(lock.path, "terraform.tfstate");
    assert!(lock.created.starts_with("2026-11-23 20:06:19"));
}

#[test]
fn an_interrupted_apply_is_recognised() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "apply.interrupted-sigint.jsonl");
    assert!(p.interrupted && !p.succeeded());
    assert_eq!(
        p.resources["terraform_data.connector"].state,
        ResourceState::Failed
    );
}

#[test]
fn a_failed_check_block_is_a_warning_not_a_failure() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "apply.check-warning.jsonl");
    assert!(p.succeeded());
    let warning = p.warnings().next().expect("a warning");
    assert_eq!(
        (warning.severity, warning.summary.as_str()),
        (Severity::Warning, "Check block assertion failed")
    );
    assert_eq!(warning.detail, "Connector is not RUNNING yet.");
}

#[test]
fn destroy_and_plans_count_what_they_change() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "destroy.success.jsonl");
    assert!(p.succeeded());
    assert_eq!(
        p.result.map(|(op, c)| (op, c.remove)),
        Some((Operation::Destroy, 4))
    );
    assert!(
        p.resources
            .values()
            .all(|r| r.action == "delete" && r.state == ResourceState::Done)
    );

    let plan = progress(&dir, "plan-create.detailed-exitcode-2.jsonl");
    assert_eq!(plan.plan.map(|c| c.add), Some(4));
    let nothing = progress(&dir, "plan-nochanges.detailed-exitcode-0.jsonl");
    assert_eq!((nothing.total(), nothing.plan.map(|c| c.add)), (0, Some(0)));
}

#[test]
fn init_steps_and_an_unreachable_registry_are_recognised() {
    let Some(dir) = recordings() else { return };
    let codes: Vec<String> = messages(&dir, "init.success.jsonl")
        .iter()
        .filter_map(|m| match m {
            UiMessage::InitOutput { code, .. } => Some(code.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes.last().map(String::as_str),
        Some("output_init_success_message")
    );
    let offline = progress(&dir, "init.registry-unreachable.jsonl");
    assert!(offline.registry_unreachable);
    assert!(!progress(&dir, "init.success.jsonl").registry_unreachable);
}

#[test]
fn configuration_errors_carry_their_summary() {
    let Some(dir) = recordings() else { return };
    let p = progress(&dir, "plan.missing-required-variable.jsonl");
    assert!(
        p.errors()
            .any(|d| d.summary == "No value for required variable"),
        "{:?}",
        p.diagnostics
    );
    let p = progress(&dir, "apply-json-without-auto-approve.error.jsonl");
    assert!(
        p.errors().any(|d| d.summary.contains("auto-approve")),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn output_json_has_sensitive_values_and_version_json_passes_the_check() {
    let Some(dir) = recordings() else { return };
    let outputs = parse_outputs(&std::fs::read_to_string(dir.join("output.json")).expect("read"))
        .expect("parse");
    assert_eq!(outputs.len(), 4);
    assert_eq!(outputs["D_02_SRSecret"].as_text(), "super-secret-value");
    assert_eq!(outputs["D_02_SRSecret"].display(), "••••");
    assert_eq!(
        outputs["topics"].as_text(),
        r#"["all_contacts","salesforce_contacts"]"#
    );
    let version =
        VersionInfo::parse(&std::fs::read_to_string(dir.join("version.json")).expect("read"))
            .expect("parse");
    assert_eq!(version.numbers().expect("numbers"), (1, 11, 4));
    assert!(version.check().is_ok());
}

#[test]
fn lines_that_are_not_understood_are_kept_as_text() {
    assert_eq!(
        parse_line("╷ Error: crash\n"),
        UiMessage::Text("╷ Error: crash".into())
    );
    let future = parse_line(
        r#"{"@level":"info","@message":"Action invoked","type":"action_start","action":{}}"#,
    );
    assert_eq!(future.text(), "Action invoked");
    assert!(matches!(future, UiMessage::Unknown { ref kind, .. } if kind == "action_start"));
}
