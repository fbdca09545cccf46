//! The OS keyring (macOS Keychain, Windows Credential Manager, Secret Service or the kernel
//! keyring on Linux) through the `keyring` crate. The keyring cannot list its entries, so the
//! names (never the values) are kept in an index file beside the config.

use std::path::PathBuf;

use keyring::Entry;

use super::{CredentialError, CredentialStore, Secret, StoreKind};

/// The service name every entry is filed under.
pub const SERVICE: &str = "cdc-workshop";
const PROBE_ENTRY: &str = "__cdc_workshop_probe__";

pub struct KeyringStore {
    index: PathBuf,
}

/// Why the keyring cannot be used, in words for the participant. The crate reports a missing
/// D-Bus session, a locked collection and a process without a session keyring in different,
/// often misleading ways; all of them mean "use the fallback".
pub fn unavailable_reason(err: &keyring::Error) -> Option<String> {
    match err {
        keyring::Error::PlatformFailure(e) => Some(format!("the platform keyring failed ({e})")),
        keyring::Error::NoStorageAccess(e) => {
            Some(format!("the keyring is locked or not reachable ({e})"))
        }
        // Writing into the kernel keyring from a process without a session keyring ends in
        // "no entry" although nothing was looked up.
        keyring::Error::NoEntry => {
            Some("the keyring accepted nothing (no session keyring in this login)".to_string())
        }
        _ => None,
    }
}

fn failed(e: keyring::Error) -> CredentialError {
    CredentialError::Keyring(e.to_string())
}

impl KeyringStore {
    /// A store if the keyring works here (a write, a read and a delete of a probe entry), or why
    /// it does not.
    pub fn probe(index: PathBuf) -> Result<Self, String> {
        let entry = Entry::new(SERVICE, PROBE_ENTRY)
            .map_err(|e| unavailable_reason(&e).unwrap_or_else(|| e.to_string()))?;
        let value = format!("probe-{}", std::process::id());
        let why = |e: keyring::Error| unavailable_reason(&e).unwrap_or_else(|| e.to_string());
        entry.set_password(&value).map_err(why)?;
        let read = entry.get_password().map_err(why)?;
        let _ = entry.delete_credential();
        if read != value {
            return Err("the keyring returned something else than was stored".to_string());
        }
        Ok(Self { index })
    }

    fn entry(&self, name: &str) -> Result<Entry, CredentialError> {
        Entry::new(SERVICE, name).map_err(failed)
    }

    fn write_index(&self, names: &[String]) -> Result<(), CredentialError> {
        let io = |source| CredentialError::Io {
            path: self.index.clone(),
            source,
        };
        if let Some(dir) = self.index.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.index.with_extension("tmp");
        std::fs::write(&tmp, names.join("\n")).map_err(io)?;
        std::fs::rename(&tmp, &self.index).map_err(io)
    }
}

impl CredentialStore for KeyringStore {
    fn kind(&self) -> StoreKind {
        StoreKind::Keyring
    }

    fn get(&self, name: &str) -> Result<Option<Secret>, CredentialError> {
        match self.entry(name)?.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    fn set(&self, name: &str, value: &Secret) -> Result<(), CredentialError> {
        self.entry(name)?
            .set_password(value.expose())
            .map_err(failed)?;
        let mut names = self.names()?;
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
            names.sort();
            self.write_index(&names)?;
        }
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<bool, CredentialError> {
        let had = match self.entry(name)?.delete_credential() {
            Ok(()) => true,
            Err(keyring::Error::NoEntry) => false,
            Err(e) => return Err(failed(e)),
        };
        let names: Vec<String> = self.names()?.into_iter().filter(|n| n != name).collect();
        self.write_index(&names)?;
        Ok(had)
    }

    fn names(&self) -> Result<Vec<String>, CredentialError> {
        match std::fs::read_to_string(&self.index) {
            Ok(text) => Ok(text
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(CredentialError::Io {
                path: self.index.clone(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_misleading_keyring_errors_all_mean_use_the_fallback() {
        let dbus = keyring::Error::PlatformFailure(
            "Unable to autolaunch a dbus-daemon without a $DISPLAY for X11".into(),
        );
        assert!(unavailable_reason(&dbus).unwrap().contains("dbus-daemon"));
        let locked = keyring::Error::NoStorageAccess(
            "The name org.freedesktop.secrets was not provided".into(),
        );
        assert!(
            unavailable_reason(&locked)
                .unwrap()
                .contains("org.freedesktop.secrets")
        );
        assert!(
            unavailable_reason(&keyring::Error::NoEntry)
                .unwrap()
                .contains("no session keyring")
        );
        assert_eq!(
            unavailable_reason(&keyring::Error::TooLong("x".into(), 3)),
            None
        );
    }
}
