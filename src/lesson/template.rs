//! `{{ namespace.path }}` templates over step outputs, variables and secret names.
//!
//! Parsed once at load time so lint can see every reference; rendered at run time against a
//! [`TemplateContext`]. Secrets render to their value only where the caller asks for it
//! ([`Template::render`]); everything shown to a person goes through [`Template::display`].

use std::fmt;

use thiserror::Error;

/// The mask shown wherever a secret value would be.
pub const SECRET_MASK: &str = "••••";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TemplateRef {
    /// `{{ outputs.<step>.<name> }}`
    Output { step: String, name: String },
    /// `{{ vars.<name> }}`
    Var(String),
    /// `{{ secrets.<name> }}`
    Secret(String),
    /// `{{ marker }}`: a value made unique for one run of an `sql` step, so a check can find
    /// the very row it wrote (the step provides it as `outputs.<step>.marker`).
    Marker,
}

impl fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateRef::Output { step, name } => write!(f, "outputs.{step}.{name}"),
            TemplateRef::Var(name) => write!(f, "vars.{name}"),
            TemplateRef::Secret(name) => write!(f, "secrets.{name}"),
            TemplateRef::Marker => write!(f, "marker"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Ref(TemplateRef),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    raw: String,
    parts: Vec<Part>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateParseError {
    #[error("unclosed `{{{{` at column {column}")]
    Unclosed { column: usize },
    #[error(
        "unknown template reference `{text}` at column {column}: use outputs.<step>.<name>, vars.<name>, secrets.<name> or marker"
    )]
    UnknownRef { text: String, column: usize },
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateRenderError {
    #[error("`{{{{ {0} }}}}` has no value yet: run the step that provides it first")]
    Missing(TemplateRef),
}

/// Where rendered values come from.
pub trait TemplateContext {
    fn output(&self, step: &str, name: &str) -> Option<String>;
    fn var(&self, name: &str) -> Option<String>;
    fn secret(&self, name: &str) -> Option<String>;
    /// The marker of the step being run; only an `sql` step's run has one.
    fn marker(&self) -> Option<String> {
        None
    }
}

impl Template {
    /// A template with no references.
    pub fn literal(text: impl Into<String>) -> Self {
        let raw = text.into();
        Self {
            parts: vec![Part::Literal(raw.clone())],
            raw,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, TemplateParseError> {
        let mut parts = Vec::new();
        let mut rest = raw;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after_open = &rest[open + 2..];
            let Some(close) = after_open.find("}}") else {
                return Err(TemplateParseError::Unclosed {
                    column: offset + open + 1,
                });
            };
            let text = after_open[..close].trim();
            let column = offset + open + 1;
            parts.push(Part::Ref(parse_ref(text).ok_or_else(|| {
                TemplateParseError::UnknownRef {
                    text: text.to_string(),
                    column,
                }
            })?));
            let consumed = open + 2 + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Self {
            raw: raw.to_string(),
            parts,
        })
    }

    /// The text as the author wrote it.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn refs(&self) -> impl Iterator<Item = &TemplateRef> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(r) => Some(r),
            Part::Literal(_) => None,
        })
    }

    pub fn has_secret(&self) -> bool {
        self.secret_names().next().is_some()
    }

    /// The names of the secrets this template uses, in order of appearance.
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.refs().filter_map(|r| match r {
            TemplateRef::Secret(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Teach `redactor` the value of every secret this template uses (a process that echoes
    /// one must not get it into a log, even if the app forgot to load it there).
    pub fn teach_secrets(&self, values: &dyn TemplateContext, redactor: &crate::redact::Redactor) {
        for name in self.secret_names() {
            if let Some(v) = values.secret(name) {
                redactor.add(&v);
            }
        }
    }

    /// The real value, secrets included: only for process environments and request headers.
    pub fn render(&self, ctx: &dyn TemplateContext) -> Result<String, TemplateRenderError> {
        self.render_with(ctx, true)
    }

    /// The value as a person may see it: secrets masked, missing values shown as the reference.
    pub fn display(&self, ctx: &dyn TemplateContext) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Ref(TemplateRef::Secret(_)) => out.push_str(SECRET_MASK),
                Part::Ref(r) => match lookup(r, ctx) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push_str("{{ ");
                        out.push_str(&r.to_string());
                        out.push_str(" }}");
                    }
                },
            }
        }
        out
    }

    fn render_with(
        &self,
        ctx: &dyn TemplateContext,
        secrets: bool,
    ) -> Result<String, TemplateRenderError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Ref(TemplateRef::Secret(_)) if !secrets => out.push_str(SECRET_MASK),
                Part::Ref(r) => out.push_str(
                    &lookup(r, ctx).ok_or_else(|| TemplateRenderError::Missing(r.clone()))?,
                ),
            }
        }
        Ok(out)
    }
}

fn lookup(r: &TemplateRef, ctx: &dyn TemplateContext) -> Option<String> {
    match r {
        TemplateRef::Output { step, name } => ctx.output(step, name),
        TemplateRef::Var(name) => ctx.var(name),
        TemplateRef::Secret(name) => ctx.secret(name),
        TemplateRef::Marker => ctx.marker(),
    }
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn parse_ref(text: &str) -> Option<TemplateRef> {
    if text == "marker" {
        return Some(TemplateRef::Marker);
    }
    let mut it = text.split('.');
    let ns = it.next()?;
    let a = it.next()?;
    match (ns, it.next(), it.next()) {
        ("outputs", Some(b), None) if is_ident(a) && is_ident(b) => Some(TemplateRef::Output {
            step: a.to_string(),
            name: b.to_string(),
        }),
        ("vars", None, None) if is_ident(a) => Some(TemplateRef::Var(a.to_string())),
        ("secrets", None, None) if is_ident(a) => Some(TemplateRef::Secret(a.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[derive(Default)]
    struct Ctx(HashMap<String, String>);

    impl TemplateContext for Ctx {
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

    fn ctx(pairs: &[(&str, &str)]) -> Ctx {
        Ctx(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect())
    }

    #[test]
    fn renders_outputs_vars_and_secrets() {
        let t = Template::parse("curl -u {{ secrets.key }} {{vars.url}}/{{ outputs.cluster.id }}")
            .unwrap();
        let c = ctx(&[
            ("secrets.key", "s3cr3t"),
            ("vars.url", "http://x"),
            ("outputs.cluster.id", "lkc-1"),
        ]);
        assert_eq!(t.render(&c).unwrap(), "curl -u s3cr3t http://x/lkc-1");
        assert_eq!(t.display(&c), "curl -u •••• http://x/lkc-1");
        assert!(t.has_secret());
        assert_eq!(t.refs().count(), 3);
    }

    #[test]
    fn missing_value_names_the_reference() {
        let t = Template::parse("{{ outputs.vm.ip }}").unwrap();
        let err = t.render(&ctx(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`{{ outputs.vm.ip }}` has no value yet: run the step that provides it first"
        );
        assert_eq!(t.display(&ctx(&[])), "{{ outputs.vm.ip }}");
    }

    #[test]
    fn rejects_unknown_namespaces_and_unclosed_braces() {
        assert_eq!(
            Template::parse("a {{ env.HOME }}").unwrap_err(),
            TemplateParseError::UnknownRef {
                text: "env.HOME".into(),
                column: 3
            }
        );
        assert_eq!(
            Template::parse("x {{ vars.a").unwrap_err(),
            TemplateParseError::Unclosed { column: 3 }
        );
        assert!(Template::parse("{{ outputs.only_step }}").is_err());
    }

    #[test]
    fn literal_text_round_trips() {
        let t = Template::parse("plain text, no refs").unwrap();
        assert_eq!(t.raw(), "plain text, no refs");
        assert_eq!(t.render(&ctx(&[])).unwrap(), "plain text, no refs");
        assert_eq!(t, Template::literal("plain text, no refs"));
    }
}
