//! References out of the lessons: every terraform module a step or check names exists in the
//! assets, every sensitive output lands in a declared secret, every database is declared.

use std::collections::{BTreeMap, BTreeSet};

use crate::assets::Assets;
use crate::assets::interface::ModuleInterface;
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
        stored: BTreeMap::new(),
        interfaces: BTreeMap::new(),
        diags,
    };
    for lesson in &course.lessons {
        for spec in lesson.requires.iter().chain(&lesson.objectives) {
            c.spec(spec);
        }
        for block in &lesson.blocks {
            match block {
                Block::Step(s) => {
                    c.step(&s.kind, &s.outputs, &s.pos, &format!("step `{}`", s.id));
                    if let StepKind::Terraform(t) = &s.kind {
                        for secret in t.secret_outputs.values() {
                            c.stored
                                .entry(secret.clone())
                                .or_default()
                                .push((s.id.clone(), s.pos.clone()));
                        }
                    }
                }
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
    provided_by(course, &c.stored, c.diags);
}

/// A secret a step stores must say so (`provided_by`), so nobody is asked to type it in, and a
/// secret that says so must really come from that step.
fn provided_by(
    course: &Course,
    stored: &BTreeMap<String, Vec<(String, SourcePos)>>,
    diags: &mut Vec<Diagnostic>,
) {
    for decl in &course.secrets {
        let steps = stored.get(&decl.name).map(Vec::as_slice).unwrap_or(&[]);
        match &decl.provided_by {
            Some(step) if !steps.iter().any(|(id, _)| id == step) => diags.push(Diagnostic::new(
                decl.pos.clone(),
                DiagnosticKind::UnresolvedReference,
                format!(
                    "secret `{}` says `provided_by = \"{step}\"`, but no terraform step `{step}` stores it; list it under that step's `secret_outputs` or remove `provided_by`",
                    decl.name
                ),
            )),
            Some(_) => {}
            None => {
                for (id, pos) in steps {
                    diags.push(Diagnostic::new(
                        pos.clone(),
                        DiagnosticKind::InvalidValue,
                        format!(
                            "step `{id}` stores secret `{}`, whose [[secrets]] entry lacks `provided_by = \"{id}\"`; add it so the participant is not asked for a value the step provides",
                            decl.name
                        ),
                    ));
                }
            }
        }
    }
}

struct Checker<'a, 'd> {
    assets: Option<&'a Assets>,
    secrets: BTreeSet<&'a str>,
    databases: BTreeSet<&'a str>,
    /// Secret name → the terraform steps that store into it.
    stored: BTreeMap<String, Vec<(String, SourcePos)>>,
    /// Module → its variables and outputs (`None` once reported as unreadable).
    interfaces: BTreeMap<String, Option<ModuleInterface>>,
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

    /// The module's interface, read once; an unreadable module is reported once.
    fn interface(&mut self, module: &str, pos: &SourcePos, what: &str) -> Option<ModuleInterface> {
        let assets = self.assets?;
        if !assets.has_module(module) {
            return None;
        }
        if let Some(known) = self.interfaces.get(module) {
            return known.clone();
        }
        let read = match assets.module_interface(module) {
            Ok(interface) => Some(interface),
            Err(e) => {
                self.diags.push(Diagnostic::new(
                    pos.clone(),
                    DiagnosticKind::InvalidValue,
                    format!("{what} uses a module that cannot be read: {e}"),
                ));
                None
            }
        };
        self.interfaces.insert(module.to_string(), read.clone());
        read
    }

    /// A step's `vars`, `outputs` and `secret_outputs` held against what the module declares.
    fn against_module(
        &mut self,
        t: &crate::lesson::TerraformStep,
        outputs: &[String],
        pos: &SourcePos,
        what: &str,
    ) {
        let Some(interface) = self.interface(&t.module, pos, what) else {
            return;
        };
        let module = &t.module;
        let mut problems = Vec::new();
        for name in t.vars.keys() {
            if !interface.variables.contains_key(name) {
                problems.push((
                    DiagnosticKind::UnresolvedReference,
                    format!(
                        "{what} passes variable `{name}`, which module `{module}` does not declare (it declares: {})",
                        names(interface.variables.keys())
                    ),
                ));
            }
        }
        for (name, var) in &interface.variables {
            if var.required && !t.vars.contains_key(name) {
                problems.push((
                    DiagnosticKind::InvalidValue,
                    format!(
                        "{what} does not pass `{name}`, which module `{module}` requires (no default in {}); add it under [vars]",
                        var.file
                    ),
                ));
            }
        }
        let read = outputs
            .iter()
            .map(|o| (o, false))
            .chain(t.secret_outputs.keys().map(|o| (o, true)));
        for (name, as_secret) in read {
            match interface.outputs.get(name) {
                None => problems.push((
                    DiagnosticKind::UnresolvedReference,
                    format!(
                        "{what} reads output `{name}`, which module `{module}` does not declare (it has: {})",
                        names(interface.outputs.keys())
                    ),
                )),
                Some(out) if out.sensitive && !as_secret => problems.push((
                    DiagnosticKind::InvalidValue,
                    format!(
                        "{what} lists `{name}` in `outputs`, but module `{module}` marks it sensitive; move it to `secret_outputs` so it is stored as a secret and never shown"
                    ),
                )),
                Some(_) => {}
            }
        }
        for (kind, message) in problems {
            self.diags.push(Diagnostic::new(pos.clone(), kind, message));
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
        self.against_module(t, outputs, pos, what);
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
                let what = "a `terraform_output` check";
                self.module(&t.module, &spec.pos, what);
                if let Some(interface) = self.interface(&t.module, &spec.pos, what)
                    && !interface.outputs.contains_key(&t.output)
                {
                    let known = names(interface.outputs.keys());
                    self.diags.push(Diagnostic::new(
                        spec.pos.clone(),
                        DiagnosticKind::UnresolvedReference,
                        format!(
                            "{what} reads output `{}`, which module `{}` does not declare (it has: {known})",
                            t.output, t.module
                        ),
                    ));
                }
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

fn names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let all: Vec<&str> = names.map(String::as_str).collect();
    if all.is_empty() {
        "nothing".to_string()
    } else {
        all.join(", ")
    }
}
