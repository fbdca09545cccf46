//! Where credentials live: the [`CredentialStore`] trait, the in-memory store for tests, and
//! the owner-only file the guide falls back to when the OS keyring is unavailable.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::{CredentialError, Secret};

/// Where a credential is kept, for `credentials list` and `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreKind {
    Keyring,
    File(PathBuf),
    Memory,
}

impl StoreKind {
    pub fn label(&self) -> String {
        match self {
            StoreKind::Keyring => "OS keyring".to_string(),
            StoreKind::File(p) => format!("file {}", p.display()),
            StoreKind::Memory => "memory".to_string(),
        }
    }
}

pub trait CredentialStore: Send + Sync {
    fn kind(&self) -> StoreKind;
    fn get(&self, name: &str) -> Result<Option<Secret>, CredentialError>;
    fn set(&self, name: &str, value: &Secret) -> Result<(), CredentialError>;
    /// `true` when there was something to delete.
    fn delete(&self, name: &str) -> Result<bool, CredentialError>;
    /// Names stored, sorted.
    fn names(&self) -> Result<Vec<String>, CredentialError>;
}

/// For tests: forgets everything when dropped.
#[derive(Debug, Default)]
pub struct MemoryStore {
    values: Mutex<BTreeMap<String, Secret>>,
}

impl CredentialStore for MemoryStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }

    fn get(&self, name: &str) -> Result<Option<Secret>, CredentialError> {
        Ok(self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned())
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), CredentialError> {
        self.values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), value.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, CredentialError> {
        Ok(self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .is_some())
    }

    fn names(&self) -> Result<Vec<String>, CredentialError> {
        Ok(self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect())
    }
}

/// A TOML file of `name = "value"` lines readable by its owner only. Refused when anyone else
/// could read it; written whole, atomically, created 0600 from the first byte.
#[derive(Debug)]
pub struct FileStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BTreeMap<String, String>, CredentialError> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => {
                return Err(CredentialError::Io {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CredentialError::TooOpen {
                path: self.path.clone(),
                mode,
            });
        }
        let text = std::fs::read_to_string(&self.path).map_err(|source| CredentialError::Io {
            path: self.path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| CredentialError::Corrupt {
            path: self.path.clone(),
            message: crate::config::describe_toml_error(&text, &e),
        })
    }

    fn write(&self, values: &BTreeMap<String, String>) -> Result<(), CredentialError> {
        let io = |source| CredentialError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = toml::to_string(values).map_err(|e| CredentialError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        let tmp = self.path.with_extension("toml.tmp");
        {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(b"# cdc-workshop credentials: owner-only (0600); manage with `cdc-workshop credentials`\n").map_err(io)?;
            f.write_all(text.as_bytes()).map_err(io)?;
            f.sync_all().map_err(io)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(io)
    }
}

impl CredentialStore for FileStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File(self.path.clone())
    }

    fn get(&self, name: &str) -> Result<Option<Secret>, CredentialError> {
        Ok(self.read()?.get(name).map(Secret::new))
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), CredentialError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = self.read()?;
        all.insert(name.to_string(), value.expose().to_string());
        self.write(&all)
    }

    fn delete(&self, name: &str) -> Result<bool, CredentialError> {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        let mut all = self.read()?;
        let had = all.remove(name).is_some();
        if had {
            self.write(&all)?;
        }
        Ok(had)
    }

    fn names(&self) -> Result<Vec<String>, CredentialError> {
        Ok(self.read()?.into_keys().collect())
    }
}
