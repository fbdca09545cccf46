//! The stand-in plays the course's CDC connectors against real databases: a
//! `PostgresCdcSourceV2` on PostgreSQL 15 and a `MySqlCdcSourceV2` on MariaDB, both seeded with
//! the course's own seed SQL, created through the stand-in's Connect API with the lessons'
//! configs. Their records are read from the in-process Kafka and decoded through the stand-in's
//! Schema Registry by the project's own decoder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;
#[path = "support/databases.rs"]
mod databases;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cdc_workshop::backend::confluent::ConfluentApi;
use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::backend::kafka::sample::{KafkaSettings, Start, sample};
use cdc_workshop::backend::kafka::schemas::{DecodedRecord, Decoder, RegistrySchemas};
use cdc_workshop::standin::Timings;
use databases::{MariaDb, PASSWORD, Postgres};
use serde_json::{Value, json};

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/terraform/aws-mysql-postgres/files")
}

fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Reads topics from the in-process Kafka and decodes them through the stand-in's registry.
struct Topics {
    settings: KafkaSettings,
    decoder: Decoder,
}

impl Topics {
    fn new(w: &confluent::World, bootstrap: String) -> Self {
        let api: Arc<dyn ConfluentApi> = Arc::new(ConfluentClient::new().unwrap());
        Self {
            settings: KafkaSettings {
                bootstrap,
                security_protocol: "plaintext".into(),
                sasl: None,
            },
            decoder: Decoder::new(Arc::new(RegistrySchemas::new(api, w.scope.clone()))),
        }
    }

    async fn read(&mut self, topic: &str) -> Vec<DecodedRecord> {
        let (s, t) = (self.settings.clone(), topic.to_string());
        let raw = tokio::task::spawn_blocking(move || {
            sample(&s, &t, Start::Beginning, 10_000, Duration::from_secs(1))
        })
        .await
        .unwrap()
        .unwrap_or_default();
        let mut out = Vec::new();
        for r in &raw {
            out.push(self.decoder.decode(r).await);
        }
        out
    }

    /// The topic's records once `done` holds for them (within 60 s).
    async fn until(
        &mut self,
        topic: &str,
        what: &str,
        done: impl Fn(&[DecodedRecord]) -> bool,
    ) -> Vec<DecodedRecord> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let records = self.read(topic).await;
            if done(&records) {
                return records;
            }
            let values: Vec<&Value> = records.iter().map(|r| &r.value).collect();
            assert!(
                Instant::now() < deadline,
                "{topic}: {what} did not happen; it holds {values:?}"
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

fn has(records: &[DecodedRecord], op: &str, field: &str, value: &Value) -> bool {
    records
        .iter()
        .any(|r| r.value["op"] == op && r.field(field) == Some(value))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_cdc_source_snapshots_the_course_tables_then_streams_inserts_updates_and_deletes()
 {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.psql("postgres", "CREATE DATABASE customers");
    pg.psql_file("customers", &seeds().join("postgres/01_create_tables.sql"));
    pg.psql_file("customers", &seeds().join("postgres/02_fill_tables.sql"));
    let w = confluent::world(Timings::default()).await;
    let bootstrap = w.standin.start_kafka(Duration::from_millis(100)).unwrap();
    let mut topics = Topics::new(&w, bootstrap);
    let port = pg.port.to_string();
    // The config of lessons/postgres-cdc.md.
    let client = ConfluentClient::new().unwrap();
    client
        .create_connector(
            &w.scope,
            "PostgresCdcSourceV2Connector_0",
            &config(&[
                ("connector.class", "PostgresCdcSourceV2"),
                ("kafka.auth.mode", "SERVICE_ACCOUNT"),
                ("database.hostname", "127.0.0.1"),
                ("database.port", &port),
                ("database.user", "postgres"),
                ("database.password", PASSWORD),
                ("database.dbname", "customers"),
                ("database.sslmode", "prefer"),
                ("topic.prefix", "postgres"),
                ("publication.name", "dbz_publication"),
                ("publication.autocreate.mode", "all_tables"),
                ("slot.name", "debezium"),
                ("snapshot.mode", "initial"),
                ("output.data.format", "AVRO"),
                ("decimal.handling.mode", "precise"),
            ]),
        )
        .await
        .unwrap();

    let products = topics
        .until("postgres.public.product", "the 100-row snapshot", |r| {
            r.len() >= 100
        })
        .await;
    assert_eq!(products.len(), 100);
    let ids: BTreeSet<i64> = products
        .iter()
        .map(|r| {
            assert_eq!(r.value["op"], "r", "{:?}", r.value);
            assert_eq!(r.value["source"]["table"], "product");
            assert_eq!(r.value["source"]["schema"], "public");
            assert_eq!(r.value["before"], Value::Null);
            r.value["after"]["product_id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids, (1..=100).collect());
    assert_eq!(products[0].value["after"]["name"], "Product 1");
    assert_eq!(products[0].key, json!({"product_id": 1}));

    // A topic per table, with a value schema each; decimals and timestamps typed.
    let names: BTreeSet<String> = w.standin.with_world(|world| {
        world
            .topics
            .iter()
            .map(|t| t.name.clone())
            .filter(|n| n.starts_with("postgres.public."))
            .collect()
    });
    let tables = [
        "city",
        "country",
        "order_status",
        "product",
        "sale",
        "status_name",
        "store",
        "users",
    ];
    let expected: BTreeSet<String> = tables
        .iter()
        .map(|t| format!("postgres.public.{t}"))
        .collect();
    assert_eq!(names, expected);
    let sales = topics
        .until("postgres.public.sale", "the sale snapshot", |r| {
            r.len() >= 100
        })
        .await;
    let amount = sales[0].value["after"]["amount"].as_str().unwrap_or("");
    assert!(
        regex::Regex::new(r"^\d+\.\d{3}$").unwrap().is_match(amount),
        "a DECIMAL(20,3) keeps its scale: {:?}",
        sales[0].value
    );

    // The slot and the publication the lesson checks exist.
    let (db, conn) = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={} user=postgres password={PASSWORD} dbname=customers",
            pg.port
        ),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let slot = db
        .query_one(
            "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'debezium'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(slot.get::<_, String>(0), "test_decoding");
    let publications = db
        .query(
            "SELECT puballtables FROM pg_publication WHERE pubname = 'dbz_publication'",
            &[],
        )
        .await
        .unwrap();
    assert!(publications[0].get::<_, bool>(0), "FOR ALL TABLES");

    // Insert, update and delete arrive as c, u, d.
    let topic = "postgres.public.status_name";
    db.batch_execute("INSERT INTO status_name VALUES (6, 'cdcw-marker-1')")
        .await
        .unwrap();
    let started = Instant::now();
    topics
        .until(topic, "the insert", |r| {
            has(r, "c", "after.status_name", &json!("cdcw-marker-1"))
        })
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    db.batch_execute(
        "UPDATE status_name SET status_name = 'cdcw-marker-2' WHERE status_name_id = 6",
    )
    .await
    .unwrap();
    topics
        .until(topic, "the update", |r| {
            has(r, "u", "after.status_name", &json!("cdcw-marker-2"))
        })
        .await;
    db.batch_execute("DELETE FROM status_name WHERE status_name_id = 6")
        .await
        .unwrap();
    let records = topics
        .until(topic, "the delete", |r| {
            has(r, "d", "before.status_name_id", &json!(6))
        })
        .await;
    let delete = records.iter().find(|r| r.value["op"] == "d").unwrap();
    assert_eq!(delete.value["after"], Value::Null);

    // The lesson's sale generator: a decimal and a timestamp read from the slot keep their types.
    db.batch_execute(
        "INSERT INTO sale (sale_id, amount, date_sale, product_id, user_id, store_id) \
         SELECT gen_random_uuid()::text, round((random() * 10000)::numeric, 3), now(), \
                1 + floor(random() * 100)::int, 1 + floor(random() * 100)::int, 1 + floor(random() * 100)::int",
    )
    .await
    .unwrap();
    let sales = topics
        .until("postgres.public.sale", "the generated sale", |r| {
            r.iter().any(|r| r.value["op"] == "c")
        })
        .await;
    let sale = &sales.iter().find(|r| r.value["op"] == "c").unwrap().value;
    let amount = sale["after"]["amount"].as_str().unwrap_or("");
    assert!(
        regex::Regex::new(r"^\d+\.\d{3}$").unwrap().is_match(amount),
        "{sale:?}"
    );
    let year = sale["after"]["date_sale"].as_str().unwrap_or("");
    assert!(year.starts_with("20"), "a timestamp: {sale:?}");

    // Paused, the connector reads nothing; resumed, it catches up from the slot.
    let api: Arc<dyn ConfluentApi> = Arc::new(client);
    api.pause_connector(&w.scope, "PostgresCdcSourceV2Connector_0")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    db.batch_execute("INSERT INTO status_name VALUES (7, 'cdcw-while-paused')")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let records = topics.read(topic).await;
    assert!(
        !has(
            &records,
            "c",
            "after.status_name",
            &json!("cdcw-while-paused")
        ),
        "a paused connector wrote a change"
    );
    api.resume_connector(&w.scope, "PostgresCdcSourceV2Connector_0")
        .await
        .unwrap();
    topics
        .until(topic, "the insert made while paused", |r| {
            has(r, "c", "after.status_name", &json!("cdcw-while-paused"))
        })
        .await;

    // A user that may not create a publication for all tables: the connector fails with the
    // database's refusal in its trace, as the real one does.
    db.batch_execute(&format!("CREATE USER workshop PASSWORD '{PASSWORD}'"))
        .await
        .unwrap();
    api.create_connector(
        &w.scope,
        "no-rights",
        &config(&[
            ("connector.class", "PostgresCdcSourceV2"),
            ("kafka.auth.mode", "SERVICE_ACCOUNT"),
            ("database.hostname", "127.0.0.1"),
            ("database.port", &port),
            ("database.user", "workshop"),
            ("database.password", PASSWORD),
            ("database.dbname", "customers"),
            ("topic.prefix", "other"),
            ("publication.name", "other_publication"),
            ("slot.name", "other_slot"),
        ]),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = api.connector_status(&w.scope, "no-rights").await.unwrap();
        if status.state == "FAILED" {
            assert!(
                status.trace.contains("creating the publication"),
                "{}",
                status.trace
            );
            break;
        }
        assert!(Instant::now() < deadline, "still {}", status.state);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mysql_cdc_source_snapshots_demo_accounts_then_streams_an_insert() {
    let Some(maria) = MariaDb::start() else {
        return;
    };
    // The image creates `mysqluser` (the template grants it demo); the anonymous accounts a
    // fresh MariaDB has would shadow 'debezium'@'%' for local connections.
    let template = std::fs::read_to_string(seeds().join("mysql/accounts.sql.tftpl")).unwrap();
    let script = template.replace("${mysql_cdc_password}", PASSWORD);
    assert!(!script.contains("${"), "every placeholder is replaced");
    maria.sql(&format!(
        "CREATE USER 'mysqluser'@'%' IDENTIFIED BY '{PASSWORD}'; \
         DROP USER IF EXISTS ''@'localhost'; \
         {script}"
    ));
    let w = confluent::world(Timings::default()).await;
    let bootstrap = w.standin.start_kafka(Duration::from_millis(100)).unwrap();
    let mut topics = Topics::new(&w, bootstrap);
    let port = maria.port.to_string();
    // The config of lessons/mysql-cdc.md.
    ConfluentClient::new()
        .unwrap()
        .create_connector(
            &w.scope,
            "MySqlCdcSourceV2Connector_0",
            &config(&[
                ("connector.class", "MySqlCdcSourceV2"),
                ("kafka.auth.mode", "SERVICE_ACCOUNT"),
                ("database.hostname", "127.0.0.1"),
                ("database.port", &port),
                ("database.user", "debezium"),
                ("database.password", PASSWORD),
                ("database.ssl.mode", "preferred"),
                ("database.include.list", "demo"),
                ("table.include.list", "demo.accounts"),
                ("topic.prefix", "mysql"),
                ("snapshot.mode", "initial"),
                ("output.data.format", "AVRO"),
                ("decimal.handling.mode", "precise"),
            ]),
        )
        .await
        .unwrap();

    let topic = "mysql.demo.accounts";
    let records = topics
        .until(topic, "the 7-row snapshot", |r| r.len() >= 7)
        .await;
    assert_eq!(records.len(), 7, "the real rows only, no toy rows");
    let ids: Vec<&str> = records
        .iter()
        .map(|r| {
            assert_eq!(r.value["op"], "r", "{:?}", r.value);
            assert_eq!(r.value["source"]["db"], "demo");
            assert_eq!(r.value["source"]["table"], "accounts");
            r.value["after"]["account_id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        ["a001", "a002", "a003", "a004", "a005", "a006", "a007"]
    );
    assert_eq!(records[6].value["after"]["last_name"], "Muetzlitz");
    let versions = w
        .standin
        .with_world(|world| world.subjects.get(&format!("{topic}-value")).map(Vec::len));
    assert_eq!(versions, Some(1), "the real envelope, not the toy one");
    assert!(
        records[0].value["after"]["create_ts"].is_string(),
        "a TIMESTAMP decodes as a time: {:?}",
        records[0].value
    );

    maria.sql(
        "INSERT INTO demo.accounts (account_id, first_name, last_name) VALUES ('cdcw-m1', 'Ada', 'Lovelace')",
    );
    let started = Instant::now();
    topics
        .until(topic, "the insert", |r| {
            has(r, "c", "after.account_id", &json!("cdcw-m1"))
        })
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
