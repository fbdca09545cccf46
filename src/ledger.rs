// TEMPORARY STUB — replaced by the ledger branch.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
pub const LEDGER_FILE: &str = "ledger.json";
#[derive(Debug, thiserror::Error)]
#[error("ledger")]
pub struct LedgerError;
#[derive(Debug, Default)]
pub struct Ledger {
    pub modules: Vec<ModuleEntry>,
}
#[derive(Debug)]
pub struct ModuleEntry {
    pub module: String,
    pub workspace: PathBuf,
    pub secret_outputs: BTreeMap<String, String>,
}
impl Ledger {
    pub fn load(_p: &Path) -> Result<Ledger, LedgerError> {
        Ok(Ledger::default())
    }
    pub fn record_apply(&mut self, _a: AppliedModule) {}
    pub fn record_destroyed(&mut self, _m: &str) {}
}
pub fn update(_p: &Path, f: impl FnOnce(&mut Ledger)) -> Result<Ledger, LedgerError> {
    let mut l = Ledger::default();
    f(&mut l);
    Ok(l)
}
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
pub struct ResourceChange {
    pub addr: String,
    pub action: String,
    pub id: Option<String>,
}
pub enum VarEntry {
    Value { value: String },
    Template { template: String },
}
pub fn owner() -> String {
    String::new()
}
