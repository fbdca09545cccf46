//! References out of the lessons: every terraform module a step or check names exists in the
//! assets, every sensitive output lands in a declared secret, every database is declared.

use std::collections::BTreeSet;

use crate::assets::Assets;
use crate::lesson::{
    Block, CheckKind, CheckSpec, Course, Diagnostic, DiagnosticKind, SourcePos, StepKind,
};

pub(super) fn check(course: &Course, assets: Option<&Assets>, diags: &mut Vec<Diagnostic>) {
    let secrets: BTreeSet<&str> = course.secrets.iter().map(|s| s.name.as_str()).collect();
    let databases = course.databases.iter().map(|d| d.name.as_str()).collect();
    let mut c = Checker {
        assets,
        secrets,
        databases,
        diags,
    };
    for lesson in &course.lessons {
        for spec in lesson.requires.iter().chain(&lesson.objectives) {
            c.spec(spec);
        }
        for block in &lesson.blocks {
            match block {
                Block::Step(s) => c.step(&s.kind, &s.outputs, &s.pos, &format!("step `{}`", s.id)),
                Block::Solution(s) => {
                    if let Some(run) = &s.run {
                        let what = format!("the solution of step `{}`", s.step);
                        c.step(run, &[], &s.pos, &what);
                    }
                }
                Block::Cleanup(cl) => {
                    c.step(
                        &cl.run,
                        &[],
                        &cl.pos,
                        &format!("the cleanup of step `{}`", cl.step),
                    );
                }
                Block::Check(ch) => c.spec(&ch.spec),
                Block::Prose(_) | Block::Hint(_) => {}
            }
        }
    }
}

struct Checker<'a, 'd> {
    assets: Option<&'a Assets>,
    secrets: BTreeSet<&'a str>,
    databases: BTreeSet<&'a str>,
    diags: &'d mut Vec<Diagnostic>,
}

impl Checker<'_, '_> {
    fn module(&mut self, module: &str, pos: &SourcePos, what: &str) {
        if let Some(assets) = self.assets
            && !assets.has_module(module)
        {
            self.diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::UnresolvedReference,
                format!(
                    "{what} names terraform module `{module}`, which {} does not have; create assets/terraform/{module}/ or fix the name",
                    assets.describe()
                ),
            ));
        }
    }

    fn database(&mut self, name: &str, pos: &SourcePos, what: &str) {
        if !self.databases.contains(name) {
            let known = if self.databases.is_empty() {
                "none".to_string()
            } else {
                self.databases
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            self.diags.push(Diagnostic::new(
                pos.clone(),
                DiagnosticKind::UnresolvedReference,
                format!(
                    "{what} names database `{name}`, which course.toml does not declare (declared: {known}); add a [databases.{name}] table"
                ),
            ));
        }
    }

    fn step(&mut self, kind: &StepKind, outputs: &[String], pos: &SourcePos, what: &str) {
        if let StepKind::Sql(s) = kind {
            self.database(&s.database, pos, what);
            let has_marker = s
                .statement
                .refs()
                .any(|r| *r == crate::lesson::template::TemplateRef::Marker);
            for output in outputs {
                let problem = match output.as_str() {
                    "rows" => None,
                    "marker" | "marker_at_ms" if has_marker => None,
                    "marker" | "marker_at_ms" => Some(format!(
                        "{what} declares output `{output}` but its statement writes no `{{{{ marker }}}}`; put one where the row should carry it"
                    )),
                    other => Some(format!(
                        "{what} declares output `{other}`; an sql step provides `rows`, and with `{{{{ marker }}}}` in its statement `marker` and `marker_at_ms`"
                    )),
                };
                if let Some(message) = problem {
                    self.diags.push(Diagnostic::new(
                        pos.clone(),
                        DiagnosticKind::InvalidValue,
                        message,
                    ));
                }
            }
        }
        let StepKind::Terraform(t) = kind else {
            return;
        };
        self.module(&t.module, pos, what);
        for (output, secret) in &t.secret_outputs {
            if !self.secrets.contains(secret.as_str()) {
                self.diags.push(Diagnostic::new(
                    pos.clone(),
                    DiagnosticKind::UndeclaredName,
                    format!(
                        "`secret_outputs.{output}` of {what} stores into secret `{secret}`, which course.toml does not declare; add a [[secrets]] entry with name = \"{secret}\""
                    ),
                ));
            }
            if outputs.contains(output) {
                self.diags.push(Diagnostic::new(
                    pos.clone(),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "{what} lists `{output}` both in `outputs` (shown) and in `secret_outputs` (hidden); keep it in one"
                    ),
                ));
            }
        }
    }

    fn spec(&mut self, spec: &CheckSpec) {
        match &spec.kind {
            CheckKind::TerraformOutput(t) => {
                self.module(&t.module, &spec.pos, "a `terraform_output` check");
            }
            CheckKind::All(children) | CheckKind::Any(children) => {
                for child in children {
                    self.spec(child);
                }
            }
            CheckKind::Env(_)
            | CheckKind::File(_)
            | CheckKind::Http(_)
            | CheckKind::ConnectorStatus(_)
            | CheckKind::FlinkStatement(_)
            | CheckKind::SchemaSubject(_)
            | CheckKind::TopicExists(_)
            | CheckKind::TopicMessages(_)
            | CheckKind::ClusterReady
            | CheckKind::ComputePoolReady
            | CheckKind::ObjectStore(_)
            | CheckKind::WarehouseRows(_)
            | CheckKind::NoLeftovers(_) => {}
            CheckKind::SqlRows(s) => self.database(&s.database, &spec.pos, "an `sql_rows` check"),
        }
    }
}
