//! Helpers shared by the `runner_*` integration tests (included with `#[path]`, so it is not a
//! test target of its own).

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cdc_workshop::lesson::template::{Template, TemplateContext};
use cdc_workshop::lesson::{
    CheckKind, CheckSpec, EnvCheck, FileCheck, Messages, PollPolicy, SourcePos,
};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::probe::LiveProber;
use cdc_workshop::runner::{ProbeContext, Values as SharedValues};

/// Template values from `namespace.path` keys: `outputs.step.name`, `vars.name`, `secrets.name`.
#[derive(Default)]
pub struct Values(HashMap<String, String>);

impl TemplateContext for Values {
    fn output(&self, step: &str, name: &str) -> Option<String> {
        self.0.get(&format!("outputs.{step}.{name}")).cloned()
    }
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(&format!("vars.{name}")).cloned()
    }
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(&format!("secrets.{name}")).cloned()
    }
}

pub fn values(pairs: &[(&str, &str)]) -> SharedValues {
    Arc::new(Values(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    ))
}

pub fn tpl(raw: &str) -> Template {
    Template::parse(raw).unwrap()
}

/// A probe context whose redactor is deliberately empty: nothing secret may reach an
/// observation even without redaction.
pub fn probe_ctx(pairs: &[(&str, &str)], work_dir: &Path) -> ProbeContext {
    ProbeContext {
        values: values(pairs),
        redactor: Redactor::new(),
        work_dir: work_dir.to_path_buf(),
    }
}

/// A check that polls every 10 ms for up to 10 s.
pub fn fast_spec(kind: CheckKind) -> CheckSpec {
    CheckSpec {
        kind,
        deadline: Duration::from_secs(10),
        poll: PollPolicy {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(10),
            factor: 1.0,
            jitter: 0.0,
        },
        messages: Messages::default(),
        pos: SourcePos::new("lessons/test.md", 1),
    }
}

pub fn env_check(name: &str, matches: Option<&str>, secret: bool) -> CheckKind {
    CheckKind::Env(EnvCheck {
        name: name.into(),
        matches: matches.map(String::from),
        secret,
    })
}

pub fn file_check(
    path: &str,
    exists: bool,
    contains: Option<&str>,
    matches: Option<&str>,
) -> CheckKind {
    CheckKind::File(FileCheck {
        path: tpl(path),
        exists,
        contains: contains.map(String::from),
        matches: matches.map(String::from),
    })
}

/// A live prober that sees exactly `vars` as its environment.
pub fn prober_with_env(vars: &[(&str, &str)]) -> LiveProber {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    LiveProber::new()
        .unwrap()
        .with_env(Arc::new(move |name: &str| vars.get(name).cloned()))
}
