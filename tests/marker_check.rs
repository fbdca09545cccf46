//! The end-to-end marker check with real databases and a real broker: the guide's `sql` step
//! writes a row carrying a fresh marker, a stand-in connector reads the change the way CDC does
//! (PostgreSQL logical decoding through `test_decoding`, MariaDB's row-based binlog through
//! `mariadb-binlog`), produces a Debezium-shaped Avro envelope to librdkafka's mock cluster with
//! its schema in the stand-in's Schema Registry, and the `topic_messages` check must find that
//! very row and report its latency.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/confluent.rs"]
mod confluent;
#[path = "support/databases.rs"]
mod databases;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::{Record, Value as Avro};
use cdc_workshop::standin::{Timings, test_decoding_columns};
use cli::{Home, Ran, of_type};
use databases::{MariaDb, PASSWORD, Postgres};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const PG_TOPIC: &str = "pg.public.orders";
const MARIA_TOPIC: &str = "maria.demo.accounts";
const CONNECTOR_POLL: Duration = Duration::from_millis(200);

fn envelope_schema(namespace: &str, columns: &str) -> String {
    format!(
        r#"{{"type":"record","name":"Envelope","namespace":"{namespace}","fields":[
        {{"name":"before","type":["null",{{"type":"record","name":"Value","fields":[{columns}]}}],"default":null}},
        {{"name":"after","type":["null","Value"],"default":null}},
        {{"name":"source","type":{{"type":"record","name":"Source","fields":[
            {{"name":"schema","type":"string"}},{{"name":"table","type":"string"}}]}}}},
        {{"name":"op","type":"string"}},
        {{"name":"ts_ms","type":["null","long"],"default":null}}]}}"#
    )
}

fn pg_schema() -> String {
    envelope_schema(
        PG_TOPIC,
        r#"{"name":"id","type":"int"},
           {"name":"item","type":["null","string"],"default":null},
           {"name":"amount","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}],"default":null}"#,
    )
}

fn maria_schema() -> String {
    envelope_schema(
        MARIA_TOPIC,
        r#"{"name":"id","type":"int"},
           {"name":"name","type":["null","string"],"default":null},
           {"name":"balance","type":["null",{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}],"default":null}"#,
    )
}

/// A column value as the database printed it: `None` for NULL.
type Row = (i32, Option<String>, Option<String>);

fn cents(text: &str) -> Avro {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<2}");
    let n: i64 = format!("{int}{}", &frac[..2]).parse().unwrap();
    Avro::Decimal(apache_avro::Decimal::from(n.to_be_bytes().to_vec()))
}

fn nullable(v: Option<Avro>) -> Avro {
    match v {
        Some(v) => Avro::Union(1, Box::new(v)),
        None => Avro::Union(0, Box::new(Avro::Null)),
    }
}

/// The Confluent wire format of one change event.
fn change_event(
    schema: &Schema,
    schema_id: u32,
    names: (&str, &str),
    (schema_name, table): (&str, &str),
    op: &str,
    row: &Row,
) -> Vec<u8> {
    let Schema::Record(env) = schema else {
        unreachable!()
    };
    let Schema::Union(u) = &env.fields[0].schema else {
        unreachable!()
    };
    let mut value = Record::new(&u.variants()[1]).unwrap();
    value.put("id", row.0);
    value.put(names.0, nullable(row.1.clone().map(Avro::String)));
    value.put(names.1, nullable(row.2.as_deref().map(cents)));
    let src_schema = &env.fields[2].schema;
    let mut source = Record::new(src_schema).unwrap();
    source.put("schema", schema_name);
    source.put("table", table);
    let mut e = Record::new(schema).unwrap();
    e.put("before", Avro::Union(0, Box::new(Avro::Null)));
    e.put("after", Avro::Union(1, Box::new(value.into())));
    e.put("source", Avro::from(source));
    e.put("op", op);
    e.put("ts_ms", Avro::Union(0, Box::new(Avro::Null)));
    let mut out = vec![0u8];
    out.extend(schema_id.to_be_bytes());
    out.extend(apache_avro::to_avro_datum(schema, e).unwrap());
    out
}

/// Plays the PostgreSQL CDC connector: snapshot, then changes from a logical replication slot.
async fn postgres_connector(
    pg: u16,
    producer: Arc<BaseProducer>,
    schema_id: u32,
    stop: Arc<AtomicBool>,
) {
    let (client, conn) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={pg} user=postgres password={PASSWORD} dbname=demo"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    client
        .simple_query("SELECT pg_create_logical_replication_slot('cdcw_test', 'test_decoding')")
        .await
        .unwrap();
    let schema = Schema::parse_str(&pg_schema()).unwrap();
    let send = |op: &str, row: &Row| {
        let value = change_event(
            &schema,
            schema_id,
            ("item", "amount"),
            ("public", "orders"),
            op,
            row,
        );
        let key = format!("{{\"id\":{}}}", row.0);
        producer
            .send(BaseRecord::to(PG_TOPIC).key(&key).payload(&value))
            .unwrap();
        producer.flush(Duration::from_secs(5)).unwrap();
    };
    for msg in client
        .simple_query("SELECT id::text, item, amount::text FROM orders ORDER BY id")
        .await
        .unwrap()
    {
        if let tokio_postgres::SimpleQueryMessage::Row(r) = msg {
            let row: Row = (
                r.get(0).unwrap().parse().unwrap(),
                r.get(1).map(str::to_string),
                r.get(2).map(str::to_string),
            );
            send("r", &row);
        }
    }
    while !stop.load(Ordering::SeqCst) {
        for msg in client
            .simple_query("SELECT data FROM pg_logical_slot_get_changes('cdcw_test', NULL, NULL)")
            .await
            .unwrap()
        {
            let tokio_postgres::SimpleQueryMessage::Row(r) = msg else {
                continue;
            };
            let Some(cols) = r
                .get(0)
                .and_then(|d| d.strip_prefix("table public.orders: INSERT: "))
            else {
                continue;
            };
            let cols = test_decoding_columns(cols).unwrap();
            let get = |n: &str| {
                cols.iter()
                    .find(|(k, _)| k == n)
                    .and_then(|(_, v)| v.clone())
            };
            let row: Row = (
                get("id").unwrap().parse().unwrap(),
                get("item"),
                get("amount"),
            );
            send("c", &row);
        }
        tokio::time::sleep(CONNECTOR_POLL).await;
    }
}

/// `@n=value` of `mariadb-binlog --verbose`: `NULL`, a number, or a quoted string.
fn binlog_value(text: &str) -> Option<String> {
    if text == "NULL" {
        return None;
    }
    Some(
        text.strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .unwrap_or(text)
            .to_string(),
    )
}

/// Plays the MySQL CDC connector: decodes the row events of the binary logs.
fn mariadb_connector(maria: &MariaDb, producer: &BaseProducer, schema_id: u32, stop: &AtomicBool) {
    let schema = Schema::parse_str(&maria_schema()).unwrap();
    let mut sent: BTreeSet<i32> = BTreeSet::new();
    while !stop.load(Ordering::SeqCst) {
        let out = std::process::Command::new("mariadb-binlog")
            .args(["--no-defaults", "--verbose", "--base64-output=DECODE-ROWS"])
            .args(maria.binlogs())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.trim() != "### INSERT INTO `demo`.`accounts`" {
                continue;
            }
            let mut values = Vec::new();
            while let Some(next) = lines.peek() {
                if next.starts_with("### SET") {
                    lines.next();
                } else if let Some(v) = next.strip_prefix("###   @") {
                    values.push(v.split_once('=').map(|(_, v)| v.to_string()).unwrap());
                    lines.next();
                } else {
                    break;
                }
            }
            let id: i32 = values[0].parse().unwrap();
            if !sent.insert(id) {
                continue;
            }
            let row: Row = (id, binlog_value(&values[1]), binlog_value(&values[2]));
            let value = change_event(
                &schema,
                schema_id,
                ("name", "balance"),
                ("demo", "accounts"),
                "c",
                &row,
            );
            let key = format!("{{\"id\":{id}}}");
            producer
                .send(BaseRecord::to(MARIA_TOPIC).key(&key).payload(&value))
                .unwrap();
            producer.flush(Duration::from_secs(5)).unwrap();
        }
        std::thread::sleep(CONNECTOR_POLL);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_marker_row_written_by_the_guide_is_found_in_its_topic_with_its_latency() {
    let (Some(pg), Some(maria)) = (Postgres::start(), MariaDb::start()) else {
        return;
    };
    pg.seed();
    maria.seed();
    let w = confluent::world(Timings::default()).await;
    let (pg_id, maria_id) = w.standin.with_world(|world| {
        (
            world.register(&format!("{PG_TOPIC}-value"), &pg_schema(), None),
            world.register(&format!("{MARIA_TOPIC}-value"), &maria_schema(), None),
        )
    });
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic(PG_TOPIC, 2, 1).unwrap();
    mock.create_topic(MARIA_TOPIC, 1, 1).unwrap();
    let producer: Arc<BaseProducer> = Arc::new(
        ClientConfig::new()
            .set("bootstrap.servers", mock.bootstrap_servers())
            .create()
            .unwrap(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let pg_task = tokio::spawn(postgres_connector(
        pg.port,
        Arc::clone(&producer),
        pg_id,
        Arc::clone(&stop),
    ));
    let maria = Arc::new(maria);
    let maria_task = {
        let (maria, producer, stop) =
            (Arc::clone(&maria), Arc::clone(&producer), Arc::clone(&stop));
        tokio::task::spawn_blocking(move || mariadb_connector(&maria, &producer, maria_id, &stop))
    };

    let home = Home::with_lessons(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-marker/lessons"),
    );
    let mut cmd = home.command(&["run", "--track", "e2e", "--yes", "--format", "json"]);
    cmd.env("CDC_WORKSHOP_SCHEMA_REGISTRY_URL", w.standin.url())
        .env(
            "CDC_WORKSHOP_SECRET_SR_KEY",
            &w.seeded.schema_registry_key.key,
        )
        .env(
            "CDC_WORKSHOP_SECRET_SR_SECRET",
            &w.seeded.schema_registry_key.secret,
        )
        .env("CDC_WORKSHOP_SECRET_DB_PASSWORD", PASSWORD)
        .env("CDC_WORKSHOP_PG_PORT", pg.port.to_string())
        .env("CDC_WORKSHOP_MARIA_PORT", maria.port.to_string())
        .env("CDC_WORKSHOP_KAFKA_BOOTSTRAP", mock.bootstrap_servers())
        .env("CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL", "plaintext");
    let ran = Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap());
    stop.store(true, Ordering::SeqCst);
    pg_task.await.unwrap();
    maria_task.await.unwrap();
    ran.assert_code(0);
    let lines = ran.json_lines();

    let finished = of_type(&lines, "check_finished");
    let observed = |check: &str| -> String {
        let f = finished
            .iter()
            .find(|v| v["check"] == check)
            .unwrap_or_else(|| panic!("{check} did not finish: {}", ran.stdout()));
        assert_eq!(f["report"]["verdict"], "pass", "{check}: {f}");
        f["report"]["observed"].as_str().unwrap().to_string()
    };
    let marker_re = regex::Regex::new(
        r"^the row with marker (cdcw-[0-9a-f]{12}) reached (\S+) (\d+\.\d) s after it was written \(partition \d, offset \d+\): insert (\S+) ",
    )
    .unwrap();
    for (check, topic, table) in [
        ("pg-marker-arrived", PG_TOPIC, "public.orders"),
        ("maria-marker-arrived", MARIA_TOPIC, "demo.accounts"),
    ] {
        let text = observed(check);
        let caps = marker_re
            .captures(&text)
            .unwrap_or_else(|| panic!("{check}: {text}"));
        assert_eq!(&caps[2], topic, "{text}");
        assert_eq!(&caps[4], table, "{text}");
        assert!(
            text.contains(&caps[1]),
            "the summary shows the marker row itself: {text}"
        );
        let latency: f64 = caps[3].parse().unwrap();
        assert!(latency < 60.0, "{text}");
    }
    // Snapshot (three rows) plus the marker row.
    assert!(
        observed("pg-topic-busy").starts_with("4 records in pg.public.orders in the last 10m"),
        "{}",
        observed("pg-topic-busy")
    );
    // The marker the step wrote is the one the check found.
    let logs: Vec<&str> = of_type(&lines, "log")
        .iter()
        .filter_map(|v| v["text"].as_str())
        .collect();
    let written: Vec<&str> = logs
        .iter()
        .filter_map(|l| l.strip_prefix("marker: "))
        .collect();
    assert_eq!(written.len(), 2, "{logs:?}");
    assert!(observed("pg-marker-arrived").contains(written[0]));
    assert!(observed("maria-marker-arrived").contains(written[1]));
}
