#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;

use super::*;

fn dirs(root: &std::path::Path) -> Dirs {
    Dirs {
        data: root.join("data"),
        config: root.join("config"),
    }
}

fn round_trip(store: &dyn CredentialStore) {
    assert_eq!(store.get("confluent_cloud_api_secret").unwrap(), None);
    store
        .set("confluent_cloud_api_secret", &Secret::new("s3cr3t-value"))
        .unwrap();
    store
        .set("aws_access_key_id", &Secret::new("AKIAEXAMPLE"))
        .unwrap();
    assert_eq!(
        store
            .get("confluent_cloud_api_secret")
            .unwrap()
            .unwrap()
            .expose(),
        "s3cr3t-value"
    );
    assert_eq!(
        store.names().unwrap(),
        vec!["aws_access_key_id", "confluent_cloud_api_secret"]
    );
    assert!(store.delete("aws_access_key_id").unwrap());
    assert!(!store.delete("aws_access_key_id").unwrap());
    assert_eq!(store.names().unwrap(), vec!["confluent_cloud_api_secret"]);
}

#[test]
fn the_memory_store_keeps_sets_lists_and_deletes() {
    round_trip(&MemoryStore::default());
}

#[test]
fn the_file_store_is_created_owner_only_and_survives_a_new_process() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("config/credentials.toml");
    round_trip(&FileStore::new(&path));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = FileStore::new(&path);
    assert_eq!(
        again
            .get("confluent_cloud_api_secret")
            .unwrap()
            .unwrap()
            .expose(),
        "s3cr3t-value"
    );
}

#[test]
fn a_file_others_can_read_is_refused_with_the_chmod_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("credentials.toml");
    let store = FileStore::new(&path);
    store.set("x", &Secret::new("value-1")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.get("x").unwrap_err().to_string();
    assert!(err.contains("mode 644"), "{err}");
    assert!(
        err.contains(&format!("run `chmod 600 {}`", path.display())),
        "{err}"
    );
}

#[test]
fn without_a_keyring_the_file_is_chosen_and_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    let d = dirs(tmp.path());
    let env = |k: &str| (k == "CDC_WORKSHOP_CREDENTIAL_STORE").then(|| "file".to_string());
    let first = open(&d, &env);
    assert_eq!(
        first.store.kind(),
        StoreKind::File(d.config.join(FILE_NAME))
    );
    let said = first.announcement.unwrap();
    assert!(said.contains("readable only by you (0600)"), "{said}");
    let second = open(&d, &env);
    assert_eq!(second.announcement, None, "announced once, not every time");
}

#[test]
fn the_store_wins_over_the_environment_and_each_value_says_where_it_came_from() {
    let store = MemoryStore::default();
    let env = |k: &str| match k {
        "CONFLUENT_CLOUD_API_KEY" => Some("from-env".to_string()),
        "CDC_WORKSHOP_SECRET_OPENAI_API_KEY" => Some("sk-generic".to_string()),
        _ => None,
    };
    let (v, from) = lookup(
        &store,
        "confluent_cloud_api_key",
        Some("CONFLUENT_CLOUD_API_KEY"),
        &env,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (v.expose(), from.label()),
        (
            "from-env",
            "environment $CONFLUENT_CLOUD_API_KEY".to_string()
        )
    );
    store
        .set("confluent_cloud_api_key", &Secret::new("from-store"))
        .unwrap();
    let (v, from) = lookup(
        &store,
        "confluent_cloud_api_key",
        Some("CONFLUENT_CLOUD_API_KEY"),
        &env,
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (v.expose(), from),
        ("from-store", Source::Store(StoreKind::Memory))
    );
    let (v, _) = lookup(&store, "openai_api_key", None, &env)
        .unwrap()
        .unwrap();
    assert_eq!(v.expose(), "sk-generic");
    assert!(lookup(&store, "nothing", None, &env).unwrap().is_none());
}

/// The real keyring where this machine has one (a desktop session); elsewhere it says why.
#[test]
fn the_os_keyring_round_trips_where_it_is_available() {
    let tmp = tempfile::tempdir().unwrap();
    match KeyringStore::probe(tmp.path().join("index")) {
        Ok(store) => {
            store
                .set("cdcw_test_entry", &Secret::new("value-42"))
                .unwrap();
            assert_eq!(
                store.get("cdcw_test_entry").unwrap().unwrap().expose(),
                "value-42"
            );
            assert!(store.delete("cdcw_test_entry").unwrap());
        }
        Err(reason) => eprintln!("skipping the keyring round trip: {reason}"),
    }
}
