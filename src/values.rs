//! What templates render against: step outputs, resolved variables and secret values.
//!
//! Secrets come from the environment for now (the variable a course's `[[secrets]]` entry names,
//! or `CDC_WORKSHOP_SECRET_<NAME>`); every value found is taught to the redactor at load time so
//! it can never be printed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::EnvLookup;
use crate::engine::Session;
use crate::lesson::Course;
use crate::lesson::template::TemplateContext;
use crate::redact::Redactor;

/// A point-in-time copy handed to a running task (it must not see later changes mid-run).
#[derive(Debug, Clone, Default)]
pub struct ValueSnapshot {
    pub outputs: BTreeMap<String, BTreeMap<String, String>>,
    pub vars: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
}

impl TemplateContext for ValueSnapshot {
    fn output(&self, step: &str, name: &str) -> Option<String> {
        self.outputs.get(step)?.get(name).cloned()
    }

    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.secrets.get(name).cloned()
    }
}

/// Long-lived values of a session: vars and secrets, with outputs taken from the session.
#[derive(Debug, Clone)]
pub struct Values {
    vars: BTreeMap<String, String>,
    secrets: BTreeMap<String, String>,
}

impl Values {
    /// Resolve the course's secrets from the environment and teach them to the redactor.
    pub fn load(
        course: &Course,
        vars: BTreeMap<String, String>,
        env: EnvLookup,
        redactor: &Redactor,
    ) -> Self {
        let mut secrets = BTreeMap::new();
        for decl in &course.secrets {
            let generic = format!("CDC_WORKSHOP_SECRET_{}", decl.name.to_ascii_uppercase());
            let value = decl.env.as_deref().and_then(env).or_else(|| env(&generic));
            if let Some(v) = value {
                redactor.add(&v);
                secrets.insert(decl.name.clone(), v);
            }
        }
        Self { vars, secrets }
    }

    pub fn snapshot(&self, session: &Session) -> Arc<ValueSnapshot> {
        Arc::new(ValueSnapshot {
            outputs: session.outputs.clone(),
            vars: self.vars.clone(),
            secrets: self.secrets.clone(),
        })
    }
}
