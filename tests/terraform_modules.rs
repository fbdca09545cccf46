//! The workshop's own Terraform modules, checked without the registry (which the build machines
//! cannot reach, so `terraform validate` cannot run): every module parses, is `terraform fmt`
//! clean, keeps secrets out of plain outputs, tags what it creates, and admits no one-to-all
//! ingress; and lint holds every step against the module it names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use cdc_workshop::assets::Assets;
use cdc_workshop::lesson::lint::lint_with;
use cdc_workshop::lesson::source::LessonSource;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped_modules() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root().join("assets/terraform"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn tf_text(module: &str) -> String {
    let dir = root().join("assets/terraform").join(module);
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "tf") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
            text.push('\n');
        }
    }
    text
}

#[test]
fn the_aws_track_has_its_five_modules_and_each_parses() {
    assert_eq!(
        shipped_modules(),
        [
            "aws-mysql-postgres",
            "aws-oracle",
            "aws-redshift",
            "aws-s3",
            "confluent-cloud"
        ]
    );
    let assets = Assets::Directory(root().join("assets"));
    for module in shipped_modules() {
        let interface = assets
            .module_interface(&module)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!interface.outputs.is_empty(), "{module} has no outputs");
        for (name, var) in &interface.variables {
            let credential = ["secret", "password", "access_key", "api_key"]
                .iter()
                .any(|w| name.contains(w));
            assert!(
                !credential || var.sensitive,
                "{module}: variable `{name}` carries a credential but is not sensitive"
            );
        }
    }
}

#[test]
fn plain_outputs_never_carry_a_sensitive_value() {
    let assets = Assets::Directory(root().join("assets"));
    for module in shipped_modules() {
        let interface = assets.module_interface(&module).unwrap();
        let sensitive_vars: Vec<String> = interface
            .variables
            .iter()
            .filter(|(_, v)| v.sensitive)
            .map(|(n, _)| format!("var.{n}"))
            .collect();
        for (name, out) in interface.outputs.iter().filter(|(_, o)| !o.sensitive) {
            let leaks = sensitive_vars
                .iter()
                .map(String::as_str)
                .chain(["random_password.", ".secret", "nonsensitive("])
                .find(|needle| out.value.contains(needle));
            assert!(
                leaks.is_none(),
                "{module}: plain output `{name}` = {} uses {leaks:?}; mark it sensitive",
                out.value
            );
        }
        assert!(
            !tf_text(&module).contains("nonsensitive("),
            "{module} unwraps a sensitive value with nonsensitive()"
        );
    }
}

#[test]
fn aws_modules_tag_owner_and_expiry_and_admit_no_one_to_all_ingress() {
    for module in shipped_modules() {
        let text = tf_text(&module);
        assert!(
            !text.contains("template_file"),
            "{module} uses template_file"
        );
        if !module.starts_with("aws-") {
            continue;
        }
        for tag in ["cdc-workshop:owner", "cdc-workshop:expires"] {
            assert!(
                text.contains("default_tags") && text.contains(tag),
                "{module}: the aws provider's default_tags lack {tag}"
            );
        }
        let body = hcl::parse(&text).unwrap();
        for resource in body.blocks().filter(|b| b.identifier() == "resource") {
            for ingress in resource
                .body()
                .blocks()
                .filter(|b| b.identifier() == "ingress")
            {
                let cidrs = ingress
                    .body()
                    .attributes()
                    .find(|a| a.key() == "cidr_blocks")
                    .map(|a| hcl::format::to_string(a.expr()).unwrap())
                    .unwrap_or_default();
                assert!(
                    !cidrs.contains("0.0.0.0/0"),
                    "{module}: an ingress rule is open to the world: {cidrs}"
                );
            }
        }
    }
}

#[test]
fn every_module_is_terraform_fmt_clean() {
    let found = Command::new("terraform").arg("version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but terraform is not on PATH"
        );
        eprintln!("skipped: terraform is not on PATH");
        return;
    }
    let out = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff"])
        .current_dir(root().join("assets/terraform"))
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt -check found unformatted files:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn lint_holds_a_step_against_the_module_it_names() {
    let fixture = root().join("tests/fixtures/course-module-mistakes");
    let assets = Assets::Directory(fixture.join("assets"));
    let diags = lint_with(
        &LessonSource::directory(fixture.join("lessons")),
        Some(&assets),
    );
    let messages: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
    let expect = [
        "only.md:7: step `apply` passes variable `zone`, which module `demo` does not declare (it declares: region, size)",
        "only.md:7: step `apply` does not pass `region`, which module `demo` requires (no default in main.tf); add it under [vars]",
        "only.md:7: step `apply` lists `token` in `outputs`, but module `demo` marks it sensitive",
        "only.md:7: step `apply` reads output `nope`, which module `demo` does not declare (it has: endpoint, token)",
        "only.md:19: a `terraform_output` check reads output `missing`, which module `demo` does not declare (it has: endpoint, token)",
    ];
    for fragment in expect {
        assert!(
            messages.iter().any(|m| m.contains(fragment)),
            "missing `{fragment}` in:\n{}",
            messages.join("\n")
        );
    }
    assert_eq!(messages.len(), expect.len(), "{}", messages.join("\n"));
}

#[test]
fn the_fixture_module_itself_is_fine() {
    // The mistakes are in the lesson, not in the module: it parses and formats cleanly.
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-module-mistakes");
    let interface = Assets::Directory(fixture.join("assets"))
        .module_interface("demo")
        .unwrap();
    assert!(interface.variables["region"].required);
    assert!(interface.outputs["token"].sensitive);
}
