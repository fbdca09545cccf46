//! What templates render against: step outputs, resolved variables and secret values.
//!
//! Secrets come from the credential store, then the environment (the variable a course's
//! `[[secrets]]` entry names, or `CDC_WORKSHOP_SECRET_<NAME>`); every value found is taught to
//! the redactor at load time so it can never be printed.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

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

impl ValueSnapshot {
    /// A snapshot from explicit parts (teardown renders against the ledger's outputs).
    pub fn from_parts(
        outputs: BTreeMap<String, BTreeMap<String, String>>,
        vars: BTreeMap<String, String>,
        secrets: &Secrets,
    ) -> Self {
        Self {
            outputs,
            vars,
            secrets: secrets.all(),
        }
    }
}

/// Secret values known to this process, shared by every clone: a terraform step that produces
/// a sensitive output adds it here, and the next step's snapshot sees it.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Arc<RwLock<BTreeMap<String, String>>>,
    redactor: Redactor,
}

impl Secrets {
    pub fn new(redactor: Redactor) -> Self {
        Self {
            values: Arc::default(),
            redactor,
        }
    }

    /// Remember a secret; the redactor learns it first, so it can never be printed.
    pub fn insert(&self, name: &str, value: &str) {
        self.redactor.add(value);
        self.values
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), value.to_string());
    }

    pub fn contains(&self, name: &str) -> bool {
        self.values
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<String> {
        self.values
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn all(&self) -> BTreeMap<String, String> {
        self.values
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Long-lived values of a session: vars and secrets, with outputs taken from the session.
#[derive(Debug, Clone)]
pub struct Values {
    vars: BTreeMap<String, String>,
    secrets: Secrets,
}

impl Values {
    /// Resolve the course's secrets from `store`, then the environment, and teach them to the
    /// redactor. A store that cannot be read (a file others can read) is an error.
    pub fn load_with(
        course: &Course,
        vars: BTreeMap<String, String>,
        env: EnvLookup,
        redactor: &Redactor,
        store: &dyn crate::credentials::CredentialStore,
    ) -> Result<Self, crate::credentials::CredentialError> {
        let secrets = Secrets::new(redactor.clone());
        for decl in &course.secrets {
            if let Some((value, _)) =
                crate::credentials::lookup(store, &decl.name, decl.env.as_deref(), env)?
            {
                secrets.insert(&decl.name, value.expose());
            }
        }
        Ok(Self { vars, secrets })
    }

    /// Resolve the course's secrets from the environment only and teach them to the redactor.
    pub fn load(
        course: &Course,
        vars: BTreeMap<String, String>,
        env: EnvLookup,
        redactor: &Redactor,
    ) -> Self {
        let secrets = Secrets::new(redactor.clone());
        for decl in &course.secrets {
            let generic = format!("CDC_WORKSHOP_SECRET_{}", decl.name.to_ascii_uppercase());
            let value = decl.env.as_deref().and_then(env).or_else(|| env(&generic));
            if let Some(v) = value {
                secrets.insert(&decl.name, &v);
            }
        }
        Self { vars, secrets }
    }

    pub fn snapshot(&self, session: &Session) -> Arc<ValueSnapshot> {
        Arc::new(ValueSnapshot {
            outputs: session.outputs.clone(),
            vars: self.vars.clone(),
            secrets: self.secrets.all(),
        })
    }

    /// The shared secret store (terraform steps add sensitive outputs to it).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    pub fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }
}
