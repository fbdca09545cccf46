//! The resource ledger: every module Terraform applied, with its resources (address, id),
//! owner, times and outputs, and every resource a step created through the Confluent API
//! (connectors, Flink statements and connections, see [`api`]), so `status` can list what exists
//! and `teardown` can remove it.
//!
//! One ledger per data folder (`<data>/terraform/ledger.json`), not per run: resources outlive
//! the run that created them, and a new run reuses the same module workspaces. It holds no
//! secret values: sensitive outputs are recorded by the secret's name, and variables that use
//! secrets by their template, re-rendered when needed.

mod api;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use api::{ApiKind, ApiResource, ApiResourceEntry, ApiScopeIds};

/// The ledger's file name inside the terraform folder of the data dir.
pub const LEDGER_FILE: &str = "ledger.json";
const LOCK_FILE: &str = "ledger.lock";

#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("cannot {action} the resource ledger {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the resource ledger {}:{line}:{column} is not valid: {reason}; fix or move the file (it lists what Terraform created; the state in each module's folder is the truth)",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// In the order the modules were first applied (teardown goes backwards).
    pub modules: Vec<ModuleEntry>,
    /// What steps created through the Confluent API, in the order first recorded. Absent in
    /// ledgers written before it existed.
    #[serde(default)]
    pub api_resources: Vec<ApiResourceEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleEntry {
    pub module: String,
    pub lesson: String,
    pub step: String,
    pub workspace: PathBuf,
    pub owner: String,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub resources: Vec<ResourceEntry>,
    pub outputs: BTreeMap<String, String>,
    /// Output name → the secret it is stored as (never the value).
    pub secret_outputs: BTreeMap<String, String>,
    pub vars: BTreeMap<String, VarEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceEntry {
    pub addr: String,
    pub id: Option<String>,
    pub created_ms: u64,
}

/// A variable as the ledger keeps it: its value, or (when it uses secrets) its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VarEntry {
    Value { value: String },
    Template { template: String },
}

/// What one successful apply tells the ledger.
#[derive(Debug, Clone)]
pub struct AppliedModule {
    pub module: String,
    pub lesson: String,
    pub step: String,
    pub workspace: PathBuf,
    pub at_ms: u64,
    pub owner: String,
    pub resources: Vec<ResourceChange>,
    pub outputs: BTreeMap<String, String>,
    pub secret_outputs: BTreeMap<String, String>,
    pub vars: BTreeMap<String, VarEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceChange {
    pub addr: String,
    /// `create`, `update`, `replace`, `delete` or `read`.
    pub action: String,
    pub id: Option<String>,
}

impl Ledger {
    /// A missing file is an empty ledger.
    pub fn load(path: &Path) -> Result<Self, LedgerError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(LedgerError::Io {
                    action: "read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })
    }

    /// Written to a temporary file, synced, then renamed over the old one: a crash leaves
    /// either the old ledger or the new one, never half of one.
    pub fn save(&self, path: &Path) -> Result<(), LedgerError> {
        let io = |action, source| LedgerError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| io("encode", std::io::Error::other(e)))?;
        let tmp = dir.join(format!(
            ".{LEDGER_FILE}.{}-{:08x}.tmp",
            std::process::id(),
            rand::random::<u32>()
        ));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        Ok(())
    }

    pub fn module(&self, name: &str) -> Option<&ModuleEntry> {
        self.modules.iter().find(|m| m.module == name)
    }

    pub fn resource_count(&self) -> usize {
        self.modules.iter().map(|m| m.resources.len()).sum()
    }

    /// Nothing recorded: no module, no API resource.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty() && self.api_resources.is_empty()
    }

    pub fn record_apply(&mut self, applied: AppliedModule) {
        let at = applied.at_ms;
        let index = match self.modules.iter().position(|m| m.module == applied.module) {
            Some(i) => i,
            None => {
                self.modules.push(ModuleEntry {
                    module: applied.module.clone(),
                    lesson: String::new(),
                    step: String::new(),
                    workspace: PathBuf::new(),
                    owner: applied.owner.clone(),
                    created_ms: at,
                    updated_ms: at,
                    resources: Vec::new(),
                    outputs: BTreeMap::new(),
                    secret_outputs: BTreeMap::new(),
                    vars: BTreeMap::new(),
                });
                self.modules.len() - 1
            }
        };
        let Some(entry) = self.modules.get_mut(index) else {
            return;
        };
        entry.lesson = applied.lesson;
        entry.step = applied.step;
        entry.workspace = applied.workspace;
        entry.updated_ms = at;
        entry.outputs = applied.outputs;
        entry.secret_outputs = applied.secret_outputs;
        entry.vars = applied.vars;
        for change in applied.resources {
            let existing = entry.resources.iter().position(|r| r.addr == change.addr);
            match (change.action.as_str(), existing) {
                ("delete", Some(i)) => {
                    entry.resources.remove(i);
                }
                ("create" | "update" | "replace", Some(i)) => {
                    if let (Some(r), Some(id)) = (entry.resources.get_mut(i), change.id) {
                        r.id = Some(id);
                    }
                }
                ("create" | "update" | "replace", None) => entry.resources.push(ResourceEntry {
                    addr: change.addr,
                    id: change.id,
                    created_ms: at,
                }),
                _ => {}
            }
        }
    }

    pub fn record_destroyed(&mut self, module: &str) {
        self.modules.retain(|m| m.module != module);
    }
}

/// The ledger of the terraform folder `root` (`<data>/terraform`).
pub fn file_in(root: &Path) -> PathBuf {
    root.join(LEDGER_FILE)
}

/// Load, change and save under an exclusive lock, so two guides (a TUI and a `run`) never lose
/// each other's entries.
pub fn update(path: &Path, f: impl FnOnce(&mut Ledger)) -> Result<Ledger, LedgerError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let lock_path = dir.join(LOCK_FILE);
    let io = |action, source| LedgerError::Io {
        action,
        path: lock_path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io("open the lock of", e))?;
    let _locked = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, errno)| io("lock", std::io::Error::from(errno)))?;
    let mut ledger = Ledger::load(path)?;
    f(&mut ledger);
    ledger.save(path)?;
    Ok(ledger)
}

/// Who created a resource: `user@host` as far as this machine knows.
pub fn owner() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_string());
    format!("{user}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(module: &str, at_ms: u64, changes: &[(&str, &str, &str)]) -> AppliedModule {
        AppliedModule {
            module: module.into(),
            lesson: "l".into(),
            step: format!("{module}-step"),
            workspace: PathBuf::from("/w").join(module),
            at_ms,
            owner: "ann@laptop".into(),
            resources: changes
                .iter()
                .map(|(addr, action, id)| ResourceChange {
                    addr: addr.to_string(),
                    action: action.to_string(),
                    id: Some(id.to_string()),
                })
                .collect(),
            outputs: BTreeMap::new(),
            secret_outputs: [("api_secret".to_string(), "net_secret".to_string())].into(),
            vars: [(
                "token".to_string(),
                VarEntry::Template {
                    template: "{{ secrets.t }}".into(),
                },
            )]
            .into(),
        }
    }

    #[test]
    fn applies_merge_by_address_and_keep_first_apply_order_and_times() {
        let mut l = Ledger::default();
        l.record_apply(applied(
            "net",
            1,
            &[("a", "create", "1"), ("b", "create", "2")],
        ));
        l.record_apply(applied("app", 2, &[("x", "create", "9")]));
        l.record_apply(applied(
            "net",
            3,
            &[
                ("a", "replace", "1b"),
                ("b", "delete", "2"),
                ("c", "create", "3"),
                ("d", "read", ""),
            ],
        ));
        assert_eq!(
            l.modules
                .iter()
                .map(|m| m.module.as_str())
                .collect::<Vec<_>>(),
            ["net", "app"]
        );
        let net = l.module("net").unwrap();
        assert_eq!((net.created_ms, net.updated_ms), (1, 3));
        let got: Vec<(&str, Option<&str>, u64)> = net
            .resources
            .iter()
            .map(|r| (r.addr.as_str(), r.id.as_deref(), r.created_ms))
            .collect();
        assert_eq!(got, [("a", Some("1b"), 1), ("c", Some("3"), 3)]);
        assert_eq!(l.resource_count(), 3);
        l.record_destroyed("net");
        assert_eq!(l.modules.len(), 1);
    }

    #[test]
    fn saves_atomically_round_trips_and_names_a_corrupt_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform").join(LEDGER_FILE);
        assert_eq!(Ledger::load(&path).unwrap(), Ledger::default());
        let mut l = Ledger::default();
        l.record_apply(applied("net", 1, &[("a", "create", "1")]));
        l.save(&path).unwrap();
        assert_eq!(Ledger::load(&path).unwrap(), l);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [LEDGER_FILE], "no temporary file left behind");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("{{ secrets.t }}") && text.contains("net_secret"));

        std::fs::write(&path, "{\n  \"modules\": [\n    oops\n").unwrap();
        let err = Ledger::load(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("{}:3:", path.display())), "{err}");
    }

    #[test]
    fn concurrent_updates_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEDGER_FILE);
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::Builder::new()
                    .name(format!("ledger-{i}"))
                    .spawn(move || {
                        update(&path, |l| {
                            l.record_apply(applied(&format!("m{i}"), i, &[("r", "create", "1")]))
                        })
                        .unwrap();
                    })
                    .unwrap()
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Ledger::load(&path).unwrap().modules.len(), 8);
    }
}
