//! Credentials: where they are kept (the OS keyring, else an owner-only file, announced once),
//! how the upstream `.accounts` file is imported, and the [`Secret`] type that never prints.
//! Knows nothing of the app or the UI.

pub mod accounts;
pub mod gcp;
mod keyring_store;
mod secret;
mod store;
pub mod validate;

use std::path::PathBuf;

use thiserror::Error;

use crate::config::{Dirs, EnvLookup};

pub use keyring_store::{KeyringStore, unavailable_reason};
pub use secret::Secret;
pub use store::{CredentialStore, FileStore, MemoryStore, StoreKind};

/// The fallback file under the config folder.
pub const FILE_NAME: &str = "credentials.toml";
/// Names (never values) of what is in the keyring, which cannot list itself.
const INDEX_NAME: &str = "credentials.index";
/// Present once the participant has been told about the fallback.
const ANNOUNCED_MARKER: &str = "credentials.fallback-announced";

#[derive(Debug, Error)]
pub enum CredentialError {
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} can be read by others (mode {mode:o}); credentials must be owner-only: run `chmod 600 {path}` and try again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path} is damaged ({message}); fix it or delete it and set the credentials again")]
    Corrupt { path: PathBuf, message: String },
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
}

/// The store the guide uses and, the first time a fallback is chosen, what to tell the
/// participant about it.
pub struct Opened {
    pub store: Box<dyn CredentialStore>,
    pub announcement: Option<String>,
}

/// The OS keyring when it works; otherwise the 0600 file, announced once.
/// `CDC_WORKSHOP_CREDENTIAL_STORE=file` skips the keyring (CI, shared machines).
pub fn open(dirs: &Dirs, env: EnvLookup) -> Opened {
    let file = FileStore::new(dirs.config.join(FILE_NAME));
    let forced_file = env("CDC_WORKSHOP_CREDENTIAL_STORE").is_some_and(|v| v == "file");
    let reason = if forced_file {
        "CDC_WORKSHOP_CREDENTIAL_STORE=file".to_string()
    } else {
        match KeyringStore::probe(dirs.config.join(INDEX_NAME)) {
            Ok(keyring) => {
                return Opened {
                    store: Box::new(keyring),
                    announcement: None,
                };
            }
            Err(reason) => reason,
        }
    };
    let marker = dirs.config.join(ANNOUNCED_MARKER);
    let announcement = if marker.exists() {
        None
    } else {
        let _ = std::fs::create_dir_all(&dirs.config);
        let _ = std::fs::write(&marker, reason.as_bytes());
        Some(format!(
            "The OS keyring is not available here ({reason}), so credentials are kept in {}, readable only by you (0600).",
            file.path().display()
        ))
    };
    Opened {
        store: Box::new(file),
        announcement,
    }
}

/// Where a credential's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Store(StoreKind),
    /// The environment variable named.
    Env(String),
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Store(kind) => kind.label(),
            Source::Env(var) => format!("environment ${var}"),
        }
    }
}

/// The value of credential `name`: the store first, then the environment variable the course
/// names for it, then `CDC_WORKSHOP_SECRET_<NAME>`.
pub fn lookup(
    store: &dyn CredentialStore,
    name: &str,
    env_var: Option<&str>,
    env: EnvLookup,
) -> Result<Option<(Secret, Source)>, CredentialError> {
    if let Some(v) = store.get(name)? {
        return Ok(Some((v, Source::Store(store.kind()))));
    }
    let generic = format!("CDC_WORKSHOP_SECRET_{}", name.to_ascii_uppercase());
    for var in env_var.into_iter().chain(std::iter::once(generic.as_str())) {
        if let Some(v) = env(var) {
            return Ok(Some((Secret::new(v), Source::Env(var.to_string()))));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
