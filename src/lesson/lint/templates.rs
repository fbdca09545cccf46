//! Template references: declared names, outputs that exist by the time they are used, and
//! secrets only where they can neither be printed nor end up on a command line.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::lesson::template::{Template, TemplateRef};
use crate::lesson::{
    Block, CheckKind, CheckSpec, Course, Diagnostic, DiagnosticKind, Lesson, Messages, SourcePos,
    Step, StepKind,
};

/// `{{ ... }}` in text shown to people; only the three namespaces are templates there, so other
/// braces (Go templates in a code sample, `{{ observed }}` in messages) stay literal.
static DISPLAY_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{\{\s*((?:outputs|vars|secrets)\.[^}]*?)\s*\}\}").ok());

/// One place that uses templates.
struct Use {
    pos: SourcePos,
    /// For people: "`command` of step `x`".
    place: String,
    refs: Vec<TemplateRef>,
    secrets_ok: bool,
    /// Only an `sql` step's statement makes a marker.
    marker_ok: bool,
    /// Index of the block in its lesson; `None` for front-matter checks, evaluated on entry.
    at: Option<usize>,
    /// A solution's `run` replaces its step, whose outputs therefore do not exist yet.
    excluded_step: Option<String>,
}

struct Collector<'a> {
    uses: Vec<Use>,
    diags: &'a mut Vec<Diagnostic>,
    at: Option<usize>,
    excluded_step: Option<String>,
}

impl Collector<'_> {
    fn template(&mut self, t: &Template, pos: &SourcePos, place: String, secrets_ok: bool) {
        self.template_with(t, pos, place, secrets_ok, false);
    }

    fn template_with(
        &mut self,
        t: &Template,
        pos: &SourcePos,
        place: String,
        secrets_ok: bool,
        marker_ok: bool,
    ) {
        let refs: Vec<TemplateRef> = t.refs().cloned().collect();
        if !refs.is_empty() {
            self.uses.push(Use {
                pos: pos.clone(),
                place,
                refs,
                secrets_ok,
                marker_ok,
                at: self.at,
                excluded_step: self.excluded_step.clone(),
            });
        }
    }

    /// Text a person reads (prose, messages, hints): `first_line` is its first line's position,
    /// so a reference is reported on its own line.
    fn display(&mut self, text: &str, first: &SourcePos, place: &str) {
        let Some(re) = DISPLAY_RE.as_ref() else {
            return;
        };
        for m in re.find_iter(text) {
            let line = first.line + text[..m.start()].matches('\n').count();
            let pos = SourcePos::new(&first.file, line);
            match Template::parse(m.as_str()) {
                Ok(t) => self.template(&t, &pos, place.to_string(), false),
                Err(e) => self.diags.push(Diagnostic::new(
                    pos,
                    DiagnosticKind::BadTemplate,
                    format!("bad template in {place}: {e}"),
                )),
            }
        }
    }

    fn messages(&mut self, m: &Messages, pos: &SourcePos, what: &str) {
        for (key, text) in [
            ("pass", &m.pass),
            ("warn", &m.warn),
            ("fail", &m.fail),
            ("pending", &m.pending),
        ] {
            if let Some(text) = text {
                self.display(text, pos, &format!("`messages.{key}` of {what}"));
            }
        }
    }

    fn spec(&mut self, spec: &CheckSpec, what: &str) {
        let pos = &spec.pos;
        self.messages(&spec.messages, pos, what);
        match &spec.kind {
            CheckKind::Env(_) | CheckKind::TerraformOutput(_) => {}
            CheckKind::File(f) => self.template(&f.path, pos, format!("`path` of {what}"), false),
            CheckKind::Http(h) => {
                self.template(&h.url, pos, format!("`url` of {what}"), false);
                for (name, t) in &h.headers {
                    self.template(t, pos, format!("`headers.{name}` of {what}"), true);
                }
            }
            CheckKind::ConnectorStatus(c) => {
                self.template(&c.connector, pos, format!("`connector` of {what}"), false);
            }
            CheckKind::FlinkStatement(f) => {
                self.template(&f.statement, pos, format!("`statement` of {what}"), false);
            }
            CheckKind::SchemaSubject(s) => {
                self.template(&s.subject, pos, format!("`subject` of {what}"), false);
            }
            CheckKind::TopicExists(t) => {
                self.template(&t.topic, pos, format!("`topic` of {what}"), false);
            }
            CheckKind::ClusterReady | CheckKind::ComputePoolReady => {}
            CheckKind::SqlRows(s) => {
                self.template(&s.query, pos, format!("`query` of {what}"), false);
            }
            CheckKind::TopicMessages(t) => {
                self.template(&t.topic, pos, format!("`topic` of {what}"), false);
                match &t.matching {
                    crate::lesson::RecordMatch::Equals { value, .. } => {
                        self.template(value, pos, format!("`equals` of {what}"), false);
                    }
                    // The marker is that step's output: it must exist before this check runs.
                    crate::lesson::RecordMatch::Marker { step, .. } => {
                        self.uses.push(Use {
                            pos: pos.clone(),
                            place: format!("`marker_from` of {what}"),
                            refs: vec![TemplateRef::Output {
                                step: step.clone(),
                                name: crate::runner::sql::MARKER_OUTPUT.to_string(),
                            }],
                            secrets_ok: false,
                            marker_ok: false,
                            at: self.at,
                            excluded_step: self.excluded_step.clone(),
                        });
                    }
                    crate::lesson::RecordMatch::Any
                    | crate::lesson::RecordMatch::Matches { .. } => {}
                }
            }
            CheckKind::ObjectStore(o) => {
                self.template(&o.bucket, pos, format!("`bucket` of {what}"), false);
                self.template(&o.prefix, pos, format!("`prefix` of {what}"), false);
            }
            CheckKind::WarehouseRows(w) => {
                for (field, t) in [
                    ("cluster", &w.cluster),
                    ("database", &w.database),
                    ("db_user", &w.db_user),
                    ("query", &w.query),
                ] {
                    self.template(t, pos, format!("`{field}` of {what}"), false);
                }
            }
            CheckKind::NoLeftovers(n) => {
                for (field, t) in n.templates() {
                    self.template(t, pos, format!("`{field}` of {what}"), false);
                }
            }
            CheckKind::All(children) | CheckKind::Any(children) => {
                for (i, child) in children.iter().enumerate() {
                    self.spec(child, &format!("check #{} in {what}", i + 1));
                }
            }
        }
    }

    fn step_kind(&mut self, kind: &StepKind, pos: &SourcePos, what: &str) {
        match kind {
            StepKind::Shell(s) => {
                self.template(&s.command, pos, format!("`command` of {what}"), false);
                if let Some(cwd) = &s.cwd {
                    self.template(cwd, pos, format!("`cwd` of {what}"), false);
                }
                for (name, t) in &s.env {
                    self.template(t, pos, format!("`env.{name}` of {what}"), true);
                }
            }
            StepKind::Manual(m) => self.display(&m.confirm, pos, &format!("`confirm` of {what}")),
            // Vars reach Terraform only as TF_VAR_* environment variables, so secrets are fine.
            StepKind::Terraform(t) => {
                for (name, v) in &t.vars {
                    self.template(v, pos, format!("`vars.{name}` of {what}"), true);
                }
            }
            StepKind::FlinkSql(f) => {
                self.template(&f.statement, pos, format!("`statement` of {what}"), false);
                for (name, v) in &f.properties {
                    self.template(v, pos, format!("`properties.{name}` of {what}"), false);
                }
            }
            StepKind::Sql(s) => {
                self.template_with(
                    &s.statement,
                    pos,
                    format!("`statement` of {what}"),
                    false,
                    true,
                );
            }
            // A connection's API key and a connector's config travel only in the request body;
            // on screen they are masked.
            StepKind::Confluent(c) => {
                for (field, t) in c.action.templates() {
                    let secrets_ok = field == "api_key" || field == "config";
                    self.template(t, pos, format!("`{field}` of {what}"), secrets_ok);
                }
            }
        }
    }

    fn lesson(&mut self, lesson: &Lesson) {
        self.at = None;
        self.excluded_step = None;
        for (i, spec) in lesson.requires.iter().enumerate() {
            self.spec(
                spec,
                &format!("`requires` #{} of lesson `{}`", i + 1, lesson.id),
            );
        }
        for (i, spec) in lesson.objectives.iter().enumerate() {
            self.spec(
                spec,
                &format!("`objectives` #{} of lesson `{}`", i + 1, lesson.id),
            );
        }
        for (i, block) in lesson.blocks.iter().enumerate() {
            self.at = Some(i);
            self.excluded_step = None;
            match block {
                Block::Prose(p) => self.display(&p.markdown, &p.pos, "the lesson text"),
                Block::Step(s) => self.step_kind(&s.kind, &s.pos, &format!("step `{}`", s.id)),
                Block::Check(c) => {
                    let what = format!("check `{}`", c.id);
                    if let Some(crate::lesson::PanelPin::Topic(t)) = &c.panel {
                        self.template(t, &c.pos, format!("`panel` of {what}"), false);
                    }
                    self.spec(&c.spec, &what);
                }
                Block::Hint(h) => {
                    self.display(&h.text, &h.pos, &format!("a hint for step `{}`", h.step));
                }
                Block::Solution(s) => {
                    let what = format!("the solution of step `{}`", s.step);
                    self.display(&s.explain, &s.pos, &format!("`explain` of {what}"));
                    self.excluded_step = Some(s.step.clone());
                    if let Some(run) = &s.run {
                        self.step_kind(run, &s.pos, &what);
                    }
                }
                Block::Cleanup(c) => {
                    let what = format!("the cleanup of step `{}`", c.step);
                    self.step_kind(&c.run, &c.pos, &what);
                }
            }
        }
    }
}

/// Where each step lives: lesson id and block index.
struct Home<'a> {
    lesson: &'a str,
    index: usize,
    step: &'a Step,
}

pub(super) fn check(course: &Course, diags: &mut Vec<Diagnostic>) {
    let vars: BTreeSet<&str> = course.variables.iter().map(|v| v.name.as_str()).collect();
    let secrets: BTreeSet<&str> = course.secrets.iter().map(|s| s.name.as_str()).collect();
    let mut homes: BTreeMap<&str, Home<'_>> = BTreeMap::new();
    for lesson in &course.lessons {
        for (index, block) in lesson.blocks.iter().enumerate() {
            if let Block::Step(step) = block {
                homes.entry(&step.id).or_insert(Home {
                    lesson: &lesson.id,
                    index,
                    step,
                });
            }
        }
    }
    check_course_level(course, &homes, &vars, &secrets, diags);
    for lesson in &course.lessons {
        let mut c = Collector {
            uses: Vec::new(),
            diags,
            at: None,
            excluded_step: None,
        };
        c.lesson(lesson);
        for u in c.uses {
            for r in &u.refs {
                let problem = match r {
                    TemplateRef::Var(name) if !vars.contains(name.as_str()) => Some((
                        DiagnosticKind::UndeclaredName,
                        format!(
                            "`{{{{ vars.{name} }}}}` in {}: course.toml declares no variable `{name}`; add a [[variables]] entry with name = \"{name}\"",
                            u.place
                        ),
                    )),
                    TemplateRef::Secret(name) if !u.secrets_ok => Some((
                        DiagnosticKind::SecretLiteral,
                        format!(
                            "`{{{{ secrets.{name} }}}}` in {}: secrets may only appear in a shell step's `env` values, a terraform step's `vars`, an http check's `headers`, a Flink connection's `api_key` or the credentials of [confluent] and [aws], so they never reach a command line, a log or the screen; pass it as an environment variable (env = {{ NAME = \"{{{{ secrets.{name} }}}}\" }}) and use $NAME",
                            u.place
                        ),
                    )),
                    TemplateRef::Secret(name) if !secrets.contains(name.as_str()) => Some((
                        DiagnosticKind::UndeclaredName,
                        format!(
                            "`{{{{ secrets.{name} }}}}` in {}: course.toml declares no secret `{name}`; add a [[secrets]] entry with name = \"{name}\"",
                            u.place
                        ),
                    )),
                    TemplateRef::Output { step, name } => {
                        output_problem(course, &homes, lesson, &u, step, name)
                            .map(|m| (DiagnosticKind::UnknownOutput, m))
                    }
                    TemplateRef::Marker if !u.marker_ok => Some((
                        DiagnosticKind::BadTemplate,
                        format!(
                            "`{{{{ marker }}}}` in {}: only an sql step's `statement` makes a marker; elsewhere read it as `{{{{ outputs.<that step>.marker }}}}`",
                            u.place
                        ),
                    )),
                    _ => None,
                };
                if let Some((kind, message)) = problem {
                    c.diags.push(Diagnostic::new(u.pos.clone(), kind, message));
                }
            }
        }
    }
}

/// Templates of `course.toml` (`[confluent]`, `[aws]`, `[databases]`) are rendered whenever a step or
/// check uses them, so only names are checked here: the order is the steps' business (a missing
/// value says which step provides it).
fn check_course_level(
    course: &Course,
    homes: &BTreeMap<&str, Home<'_>>,
    vars: &BTreeSet<&str>,
    secrets: &BTreeSet<&str>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut uses: Vec<(String, &Template, bool, SourcePos)> = Vec::new();
    let confluent_pos = course
        .confluent
        .pos
        .clone()
        .unwrap_or_else(|| course.pos.clone());
    for (field, t) in &course.confluent.fields {
        uses.push((
            format!("`{}` of [confluent]", field.key()),
            t,
            field.is_credential(),
            confluent_pos.clone(),
        ));
    }
    let aws_pos = course.aws.pos.clone().unwrap_or_else(|| course.pos.clone());
    for (field, t) in course.aws.fields() {
        uses.push((
            format!("`{field}` of [aws]"),
            t,
            field != "region",
            aws_pos.clone(),
        ));
    }
    for db in &course.databases {
        let fields = [
            ("host", Some(&db.host)),
            ("port", db.port.as_ref()),
            ("user", Some(&db.user)),
            ("password", db.password.as_ref()),
            ("database", Some(&db.database)),
        ];
        for (field, t) in fields {
            if let Some(t) = t {
                uses.push((
                    format!("`{field}` of [databases.{}]", db.name),
                    t,
                    field == "password",
                    db.pos.clone(),
                ));
            }
        }
    }
    for (place, t, secrets_ok, pos) in uses {
        for r in t.refs() {
            let problem = match r {
                TemplateRef::Var(name) if !vars.contains(name.as_str()) => Some((
                    DiagnosticKind::UndeclaredName,
                    format!(
                        "`{{{{ vars.{name} }}}}` in {place}: course.toml declares no variable `{name}`; add a [[variables]] entry with name = \"{name}\""
                    ),
                )),
                TemplateRef::Secret(name) if !secrets_ok => Some((
                    DiagnosticKind::SecretLiteral,
                    format!(
                        "`{{{{ secrets.{name} }}}}` in {place}: only credentials may name secrets; ids, hosts and URLs are shown on screen"
                    ),
                )),
                TemplateRef::Secret(name) if !secrets.contains(name.as_str()) => Some((
                    DiagnosticKind::UndeclaredName,
                    format!(
                        "`{{{{ secrets.{name} }}}}` in {place}: course.toml declares no secret `{name}`; add a [[secrets]] entry with name = \"{name}\""
                    ),
                )),
                TemplateRef::Output { step, name } => match homes.get(step.as_str()) {
                    None => Some((
                        DiagnosticKind::UnknownOutput,
                        format!(
                            "`{{{{ outputs.{step}.{name} }}}}` in {place}: no step `{step}` exists in the course"
                        ),
                    )),
                    Some(home) if !home.step.outputs.iter().any(|o| o == name) => Some((
                        DiagnosticKind::UnknownOutput,
                        format!(
                            "`{{{{ outputs.{step}.{name} }}}}` in {place}: step `{step}` declares no output `{name}`; add `{name}` to its `outputs`"
                        ),
                    )),
                    Some(_) => None,
                },
                TemplateRef::Marker => Some((
                    DiagnosticKind::BadTemplate,
                    format!(
                        "`{{{{ marker }}}}` in {place}: only an sql step's `statement` makes a marker"
                    ),
                )),
                _ => None,
            };
            if let Some((kind, message)) = problem {
                diags.push(Diagnostic::new(pos.clone(), kind, message));
            }
        }
    }
}

/// Why `outputs.<step>.<name>` may have no value when `u` runs, if it may not.
fn output_problem(
    course: &Course,
    homes: &BTreeMap<&str, Home<'_>>,
    lesson: &Lesson,
    u: &Use,
    step: &str,
    name: &str,
) -> Option<String> {
    let r = format!("`{{{{ outputs.{step}.{name} }}}}` in {}", u.place);
    let Some(home) = homes.get(step) else {
        return Some(format!(
            "{r}: no step `{step}` exists in the course; name a step that runs earlier"
        ));
    };
    if !home.step.outputs.iter().any(|o| o == name) {
        let declared = if home.step.outputs.is_empty() {
            "none".to_string()
        } else {
            home.step.outputs.join(", ")
        };
        return Some(format!(
            "{r}: step `{step}` declares no output `{name}` (it declares: {declared}); add `{name}` to its `outputs`"
        ));
    }
    if home.lesson == lesson.id {
        return match u.at {
            None => Some(format!(
                "{r}: front-matter checks run when the lesson starts, before step `{step}` of this lesson; use outputs of earlier lessons only"
            )),
            Some(_) if u.excluded_step.as_deref() == Some(step) => Some(format!(
                "{r}: the solution runs instead of step `{step}`, so that step's outputs do not exist yet"
            )),
            Some(at) if home.index > at => Some(format!(
                "{r}: step `{step}` comes later in this lesson, so the value does not exist yet; move the step above this point"
            )),
            Some(_) => None,
        };
    }
    for track in course
        .tracks
        .iter()
        .filter(|t| t.lessons.contains(&lesson.id))
    {
        let at = |id: &str| track.lessons.iter().position(|l| l == id);
        match (at(home.lesson), at(&lesson.id)) {
            (None, _) => {
                return Some(format!(
                    "{r}: step `{step}` is in lesson `{}`, which track `{}` does not include; add that lesson to the track before `{}`",
                    home.lesson, track.id, lesson.id
                ));
            }
            (Some(p), Some(me)) if p > me => {
                return Some(format!(
                    "{r}: step `{step}` is in lesson `{}`, which comes after `{}` in track `{}`; the value does not exist yet — reorder the track or move the step",
                    home.lesson, lesson.id, track.id
                ));
            }
            _ => {}
        }
    }
    None
}
