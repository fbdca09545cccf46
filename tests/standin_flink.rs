//! The stand-in's Flink runs the shipped Flink lesson's own statements on the in-process Kafka:
//! Debezium-shaped and flat Avro source records go in, the lesson's tables come out as Avro
//! records the project decodes through the stand-in's registry, with the shapes, prices, masks
//! and de-duplication the lesson's checks look for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::backend::confluent::{ConfluentApi, NewStatement};
use cdc_workshop::backend::kafka::sample::{KafkaSettings, Polled, Reader, Start};
use cdc_workshop::backend::kafka::schemas::{Decoder, RegistrySchemas};
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::lesson::{StepKind, load_course};
use cdc_workshop::standin::Timings;
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::{Value, json};

fn envelope(name: &str, row_fields: Value) -> String {
    json!({"type": "record", "name": "Envelope", "namespace": name, "fields": [
        {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": row_fields}], "default": null},
        {"name": "after", "type": ["null", "Value"], "default": null},
        {"name": "op", "type": "string"},
    ]})
    .to_string()
}

fn flat(name: &str, fields: Value) -> String {
    json!({"type": "record", "name": name, "namespace": "ordermgmt", "fields": fields}).to_string()
}

fn s(name: &str) -> Value {
    json!({"name": name, "type": "string"})
}

fn opt(name: &str) -> Value {
    json!({"name": name, "type": ["null", "string"], "default": null})
}

/// Source topics: (topic, schema, records as JSON).
fn sources() -> Vec<(&'static str, String, Vec<Value>)> {
    let account = |first: &str, last: &str, email: &str| json!({"before": null, "after": {"first_name": first, "last_name": last, "email": email}, "op": "c"});
    let user = |id: i32| json!({"before": null, "after": {"id": id, "name": format!("User {id}")}, "op": "r"});
    let contact = |first: &str, last: &str, email: Option<&str>| json!({"FIRST_NAME": first, "LAST_NAME": last, "EMAIL": email});
    let product = |name: &str, price: f64| json!({"PRODUCT_NAME": name, "DESCRIPTION": format!("{name}, sturdy"), "LIST_PRICE": price});
    vec![
        (
            "salesforce_contacts",
            flat(
                "Contact",
                json!([s("Salutation"), s("FirstName"), s("LastName"), s("Email")]),
            ),
            vec![
                json!({"Salutation": "Mr.", "FirstName": "Carsten", "LastName": "Muetzlitz", "Email": "cmutzlitz@confluent.io"}),
                json!({"Salutation": "Ms.", "FirstName": "Jane", "LastName": "Roe", "Email": "jroe@example.org"}),
            ],
        ),
        (
            "XEPDB1.ORDERMGMT.CONTACTS",
            flat(
                "CONTACTS",
                json!([s("FIRST_NAME"), s("LAST_NAME"), opt("EMAIL")]),
            ),
            vec![
                contact("Carsten", "Muetzlitz", Some("cmutzlitz@confluent.io")),
                contact("Carsten", "Muetzlitz", Some("cmutzlitz@confluent.io")),
                contact("Ruth", "Lee", Some("rlee@example.com")),
                contact("Nomail", "Person", None),
            ],
        ),
        (
            "mysql.demo.accounts",
            envelope(
                "mysql.demo.accounts",
                json!([s("first_name"), s("last_name"), s("email")]),
            ),
            vec![
                account("Carsten", "Muetzlitz", "cmutzlitz@confluent.io"),
                account("Carsten", "Muetzlitz", "cmutzlitz@confluent.io"),
                account("Ann", "Lee", "alee@example.net"),
                json!({"before": {"first_name": "Ann", "last_name": "Lee", "email": "alee@example.net"}, "after": null, "op": "d"}),
            ],
        ),
        (
            "postgres.public.users",
            envelope(
                "postgres.public.users",
                json!([{"name": "id", "type": "int"}, s("name")]),
            ),
            vec![
                user(1),
                user(2),
                user(3),
                json!({"before": {"id": 3, "name": "User 3"}, "after": null, "op": "d"}),
            ],
        ),
        (
            "XEPDB1.ORDERMGMT.PRODUCTS",
            flat(
                "PRODUCTS",
                json!([s("PRODUCT_NAME"), s("DESCRIPTION"), {"name": "LIST_PRICE", "type": "double"}]),
            ),
            vec![
                product("Chair", 19.99),
                product("Desk", 250.0),
                product("Lamp", 5.5),
                product("Shelf", 74.95),
                product("Stool", 12.1),
                product("Bench", 99.99),
            ],
        ),
        (
            "postgres.public.product",
            envelope("postgres.public.product", json!([s("name")])),
            vec![json!({"before": null, "after": {"name": "Mug"}, "op": "r"})],
        ),
    ]
}

/// One JSON value as an Avro datum in the Confluent wire format.
fn wire(schema: &Schema, id: u32, v: &Value) -> Vec<u8> {
    let value = Avro::from(v.clone()).resolve(schema).unwrap();
    let mut out = vec![0];
    out.extend(id.to_be_bytes());
    out.extend(apache_avro::to_avro_datum(schema, value).unwrap());
    out
}

struct Topics {
    settings: KafkaSettings,
    decoder: Decoder,
}

impl Topics {
    /// Every record of `topic` decoded (none when it does not exist yet).
    async fn read(&mut self, topic: &str) -> Vec<Value> {
        let (s, t) = (self.settings.clone(), topic.to_string());
        // Read to the end of every partition rather than for a fixed time.
        let raws = tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let Ok(mut reader) = Reader::open(&s, &t, Start::Beginning, Duration::from_secs(2))
            else {
                return out;
            };
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline {
                match reader.poll(Duration::from_millis(50)) {
                    Ok(Polled::Record(r)) => out.push(r),
                    Ok(Polled::AtEnd) | Err(_) => break,
                    Ok(Polled::Idle) => {}
                }
            }
            out
        })
        .await
        .unwrap();
        let mut out = Vec::new();
        for raw in &raws {
            out.push(self.decoder.decode(raw).await.value);
        }
        out
    }

    /// The records of `topic` once there are at least `n` (panics after the deadline).
    async fn wait_for(&mut self, topic: &str, n: usize) -> Vec<Value> {
        let mut records = Vec::new();
        for _ in 0..60 {
            records = self.read(topic).await;
            if records.len() >= n {
                return records;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!(
            "{topic} has {} records, not {n}: {records:?}",
            records.len()
        );
    }
}

fn field<'a>(records: &'a [Value], name: &str) -> Vec<&'a str> {
    records
        .iter()
        .map(|r| r[name].as_str().unwrap_or("NULL"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flink_lessons_statements_move_records_between_topics() {
    let w = confluent::world(Timings::default()).await;
    let bootstrap = w.standin.start_kafka(Duration::from_millis(100)).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .create()
        .unwrap();
    let mut schemas = BTreeMap::new();
    for (topic, schema_text, records) in sources() {
        w.standin.seed_topic(&w.seeded.cluster, topic, 1);
        let id = w
            .standin
            .with_world(|w| w.register(&format!("{topic}-value"), &schema_text, None));
        let schema = Schema::parse_str(&schema_text).unwrap();
        for r in &records {
            let bytes = wire(&schema, id, r);
            producer
                .send(BaseRecord::<(), [u8]>::to(topic).payload(&bytes))
                .unwrap();
        }
        schemas.insert(topic, (schema, id));
    }
    producer.flush(Duration::from_secs(5)).unwrap();

    // The lesson's statements, in its order, exactly as the guide submits them.
    let course = load_course(&LessonSource::embedded()).unwrap();
    let lesson = course.lesson("flink-sql").unwrap();
    let client = ConfluentClient::new().unwrap();
    let mut names = Vec::new();
    for step in lesson.steps() {
        let StepKind::FlinkSql(f) = &step.kind else {
            continue;
        };
        let new = NewStatement {
            name: step.id.clone(),
            sql: f.statement.raw().trim().to_string(),
            properties: BTreeMap::new(),
        };
        client.create_statement(&w.scope, &new).await.unwrap();
        names.push(step.id.clone());
    }
    assert!(names.len() >= 15, "{names:?}");
    // A statement outside the subset runs, moves nothing and breaks nothing.
    let join = NewStatement {
        name: "a-join".into(),
        sql: "INSERT INTO mysql_mycontacts SELECT a.x, b.y, a.z, b.w FROM salesforce_contacts a \
              JOIN salesforce_contacts b ON a.Email = b.Email"
            .into(),
        properties: BTreeMap::new(),
    };
    client.create_statement(&w.scope, &join).await.unwrap();
    let empty = NewStatement {
        name: "empty-table".into(),
        sql: "CREATE TABLE empty_table (a STRING)".into(),
        properties: BTreeMap::new(),
    };
    client.create_statement(&w.scope, &empty).await.unwrap();

    let api: Arc<dyn ConfluentApi> = Arc::new(ConfluentClient::new().unwrap());
    let mut topics = Topics {
        settings: KafkaSettings {
            bootstrap: bootstrap.clone(),
            security_protocol: "plaintext".into(),
            sasl: None,
        },
        decoder: Decoder::new(Arc::new(RegistrySchemas::new(api, w.scope.clone()))),
    };

    let mysql = topics.wait_for("mysql_mycontacts", 3).await;
    assert!(
        mysql.contains(&json!({"salutation": "Mrs./Mr.", "firstname": "Carsten", "lastname": "Muetzlitz", "email": "cmutzlitz@confluent.io"})),
        "{mysql:?}"
    );
    let mut firsts = field(&mysql, "firstname");
    firsts.sort();
    assert_eq!(
        firsts,
        ["Ann", "Carsten", "Carsten"],
        "the delete is left out"
    );

    let postgres = topics.wait_for("postgres_mycontacts", 3).await;
    let mut shaped: Vec<_> = postgres
        .iter()
        .map(|r| format!("{} {} {}", r["firstname"], r["lastname"], r["email"]))
        .collect();
    shaped.sort();
    assert_eq!(
        shaped,
        [
            r#""User" "1" "user.1@example.com""#,
            r#""User" "2" "user.2@example.com""#,
            r#""User" "3" "user.3@example.com""#,
        ]
    );

    let products = topics.wait_for("oracle_products", 6).await;
    let chair = products.iter().find(|p| p["name"] == "Chair").unwrap();
    assert_eq!(
        *chair,
        json!({"name": "Chair", "description": "Chair, sturdy", "list_price": "19.99", "selling_info": "from the Oracle catalogue"})
    );
    let mut prices = field(&products, "list_price");
    prices.sort();
    assert_eq!(
        prices,
        ["12.10", "19.99", "250.00", "5.50", "74.95", "99.99"]
    );
    topics.wait_for("all_products", 7).await;

    // Salesforce 2 + Oracle 3 (the one without e-mail is filtered) + MySQL 3 + PostgreSQL 3.
    let all = topics.wait_for("all_contacts", 11).await;
    assert_eq!(all.len(), 11, "{all:?}");
    let carstens = all.iter().filter(|r| r["firstname"] == "Carsten").count();
    assert_eq!(carstens, 5, "duplicates from three sources");
    for source_row in [
        "Mr. Carsten",
        "Ms. Jane",
        "Mrs./Mr. Ruth",
        "Mrs./Mr. Ann",
        "Mrs./Mr. User",
    ] {
        assert!(
            all.iter().any(|r| format!(
                "{} {}",
                r["salutation"].as_str().unwrap(),
                r["firstname"].as_str().unwrap()
            ) == source_row),
            "{source_row} missing from {all:?}"
        );
    }

    let masked = topics.wait_for("all_contacts_mask", 11).await;
    let lesson_pattern = regex::Regex::new("^[*]+@[*]+[.][*]+$").unwrap();
    assert!(
        masked
            .iter()
            .all(|r| !r["email"].as_str().unwrap().contains(char::is_alphanumeric)),
        "{masked:?}"
    );
    assert!(
        field(&masked, "email")
            .iter()
            .any(|e| lesson_pattern.is_match(e))
    );
    assert!(masked.iter().any(|r| r["firstname"] == "Carsten"));

    let distinct: BTreeSet<String> = all.iter().map(Value::to_string).collect();
    let dedup = topics
        .wait_for("all_contacts_deduplicate", distinct.len())
        .await;
    let dedup_set: BTreeSet<String> = dedup.iter().map(Value::to_string).collect();
    assert_eq!(dedup_set, distinct);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        topics.read("all_contacts_deduplicate").await.len(),
        distinct.len(),
        "one row per distinct contact"
    );

    // The LIMIT query completes with its first five rows.
    let mut shown = None;
    for _ in 0..40 {
        let st = client
            .statement(&w.scope, "show-prices")
            .await
            .unwrap()
            .unwrap();
        if st.phase == "COMPLETED" {
            shown = Some(st);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let shown = shown.expect("show-prices completes");
    let columns: Vec<_> = shown
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str()))
        .collect();
    assert_eq!(
        columns,
        [
            ("name", "VARCHAR(2147483647)"),
            ("list_price", "DECIMAL(9, 2)")
        ]
    );
    let page = client
        .statement_results(&w.scope, "show-prices", None)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 5, "{page:?}");
    for row in &page.rows {
        let product = products.iter().find(|p| p["name"] == row.cells[0]).unwrap();
        assert_eq!(row.cells[1], product["list_price"], "{row:?}");
    }

    // A stopped job and a deleted one write nothing more; the others keep following.
    api_stop_and_delete(&client, &w.scope).await;
    let (accounts, accounts_id) = &schemas["mysql.demo.accounts"];
    let (users, users_id) = &schemas["postgres.public.users"];
    let late_account = json!({"before": null, "after": {"first_name": "Late", "last_name": "Comer", "email": "late@example.com"}, "op": "c"});
    let late_user = json!({"before": null, "after": {"id": 9, "name": "User 9"}, "op": "c"});
    let late_contact =
        json!({"FIRST_NAME": "New", "LAST_NAME": "Person", "EMAIL": "new@example.com"});
    let (contacts, contacts_id) = &schemas["XEPDB1.ORDERMGMT.CONTACTS"];
    for (topic, schema, id, v) in [
        ("mysql.demo.accounts", accounts, *accounts_id, &late_account),
        ("postgres.public.users", users, *users_id, &late_user),
        (
            "XEPDB1.ORDERMGMT.CONTACTS",
            contacts,
            *contacts_id,
            &late_contact,
        ),
    ] {
        let bytes = wire(schema, id, v);
        producer
            .send(BaseRecord::<(), [u8]>::to(topic).payload(&bytes))
            .unwrap();
    }
    producer.flush(Duration::from_secs(5)).unwrap();
    let oracle = topics.wait_for("oracle_mycontacts", 5).await;
    assert!(
        oracle.iter().any(|r| r["firstname"] == "New"),
        "a new change flows"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(topics.read("mysql_mycontacts").await.len(), 3, "stopped");
    assert_eq!(topics.read("postgres_mycontacts").await.len(), 3, "deleted");
    // A created table has its topic at once, empty, as in Confluent Cloud.
    let s = topics.settings.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let open = |t: &str| Reader::open(&s, t, Start::Beginning, Duration::from_secs(2)).is_ok();
        // Reading does not create a topic: the control.
        open("empty_table") && !open("no_such_table")
    })
    .await
    .unwrap();
    assert!(opened, "CREATE TABLE made no topic");
    assert!(topics.read("empty_table").await.is_empty());
    let join = client.statement(&w.scope, "a-join").await.unwrap().unwrap();
    assert_eq!(join.phase, "RUNNING");
}

async fn api_stop_and_delete(
    client: &ConfluentClient,
    scope: &cdc_workshop::backend::confluent::Scope,
) {
    client
        .stop_statement(scope, "mysql-mycontacts-job")
        .await
        .unwrap();
    client
        .delete_statement(scope, "postgres-mycontacts-job")
        .await
        .unwrap();
    // The supervisor notices within its round.
    tokio::time::sleep(Duration::from_millis(300)).await;
}
