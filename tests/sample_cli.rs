//! `cdc-workshop sample` against librdkafka's mock cluster, with the schemas in the stand-in's
//! Schema Registry: Avro change events come out decoded, in text and as JSON lines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/confluent.rs"]
mod confluent;

use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::{Record, Value as Avro};
use cdc_workshop::standin::Timings;
use cli::{Home, Ran, of_type};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const SCHEMA: &str = r#"{"type":"record","name":"Envelope","namespace":"postgres.public.orders","fields":[
    {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
        {"name":"id","type":"int"},
        {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}],"default":null},
    {"name":"after","type":["null","Value"],"default":null},
    {"name":"op","type":"string"}]}"#;

fn row(schema: &Schema, id: i32, cents: i64) -> Avro {
    let Schema::Record(env) = schema else {
        unreachable!()
    };
    let Schema::Union(u) = &env.fields[0].schema else {
        unreachable!()
    };
    let mut r = Record::new(&u.variants()[1]).unwrap();
    r.put("id", id);
    r.put(
        "amount",
        Avro::Decimal(apache_avro::Decimal::from(cents.to_be_bytes().to_vec())),
    );
    r.into()
}

/// `cdc-workshop sample` of `topic` from the beginning, pointed at the stand-in and the mock
/// cluster, run to completion.
async fn sample(
    w: &confluent::World,
    mock: &MockCluster<'_, rdkafka::producer::DefaultProducerContext>,
    topic: &str,
    count: usize,
    format: &str,
) -> Ran {
    let home = Home::with_lessons(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/course-confluent/lessons"),
    );
    let count = count.to_string();
    let mut cmd = home.command(&[
        "sample",
        "--topic",
        topic,
        "--from",
        "beginning",
        "--count",
        &count,
        "--format",
        format,
    ]);
    cmd.envs(w.seeded.guide_env(&w.standin.url()))
        .env("CDC_WORKSHOP_KAFKA_BOOTSTRAP", mock.bootstrap_servers())
        .env("CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL", "plaintext");
    let ran = Ran(tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap());
    drop(home);
    ran
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_change_events_are_sampled_and_decoded_through_schema_registry() {
    let w = confluent::world(Timings::default()).await;
    let id = w
        .standin
        .with_world(|world| world.register("postgres.public.orders-value", SCHEMA, None));
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic("postgres.public.orders", 1, 1).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .create()
        .unwrap();
    let schema = Schema::parse_str(SCHEMA).unwrap();
    for (i, (op, before, after)) in [
        ("c", None, Some(1050)),
        ("u", Some(1050), Some(1999)),
        ("d", Some(1999), None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut env = Record::new(&schema).unwrap();
        env.put(
            "before",
            before.map_or(Avro::Union(0, Box::new(Avro::Null)), |c| {
                Avro::Union(1, Box::new(row(&schema, 7, c)))
            }),
        );
        env.put(
            "after",
            after.map_or(Avro::Union(0, Box::new(Avro::Null)), |c| {
                Avro::Union(1, Box::new(row(&schema, 7, c)))
            }),
        );
        env.put("op", op);
        let mut value = vec![0u8];
        value.extend(id.to_be_bytes());
        value.extend(apache_avro::to_avro_datum(&schema, env).unwrap());
        let key = format!("{{\"id\":7,\"n\":{i}}}");
        producer
            .send(
                BaseRecord::to("postgres.public.orders")
                    .key(&key)
                    .payload(&value),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(5)).unwrap();

    let ran = sample(&w, &mock, "postgres.public.orders", 3, "text").await;
    ran.assert_code(0);
    let out = ran.stdout();
    assert!(
        out.contains(r#"0@0  {"id":7,"n":0}  insert {"amount":"10.50","id":7}"#),
        "{out}"
    );
    assert!(
        out.contains(r#"0@1  {"id":7,"n":1}  update {amount: "10.50" → "19.99"}"#),
        "{out}"
    );
    assert!(
        out.contains(r#"0@2  {"id":7,"n":2}  delete {"amount":"19.99","id":7}"#),
        "{out}"
    );

    let ran = sample(&w, &mock, "postgres.public.orders", 3, "jsonl").await;
    ran.assert_code(0);
    let lines = ran.json_lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1]["value"]["after"]["amount"], "19.99");
    assert_eq!(lines[1]["value_schema_id"], id);
    assert!(of_type(&lines, "nothing").is_empty());
    let schema_reads = w
        .standin
        .exchanges()
        .iter()
        .filter(|e| e.path == format!("/schemas/ids/{id}"))
        .count();
    assert_eq!(
        schema_reads, 2,
        "one schema fetch per run, cached across records"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_schema_id_raw_bytes_json_and_a_tombstone_are_shown_for_what_they_are() {
    let w = confluent::world(Timings::default()).await;
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic("mixed", 1, 1).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .create()
        .unwrap();
    // The wire format naming a schema the registry does not have.
    let unknown = [0u8, 0, 0, 0x30, 0x39, 2, 4];
    let raw_bytes = [0xffu8, 0xfe, 0x01];
    let json_text = br#"{"op":"c","after":{"id":1}}"#;
    for payload in [&unknown[..], &raw_bytes[..], &json_text[..]] {
        producer
            .send(BaseRecord::to("mixed").key("k").payload(payload))
            .unwrap();
    }
    producer
        .send(BaseRecord::<str, [u8]>::to("mixed").key("k"))
        .unwrap();
    producer.flush(Duration::from_secs(5)).unwrap();

    let ran = sample(&w, &mock, "mixed", 10, "jsonl").await;
    ran.assert_code(0);
    let lines = ran.json_lines();
    assert_eq!(lines.len(), 4, "{}", ran.stdout());
    assert_eq!(lines[0]["value_schema_id"], 12345);
    let why = lines[0]["value"]["undecodable"].as_str().unwrap();
    assert!(why.contains("schema 12345 could not be read"), "{why}");
    assert_eq!(lines[1]["value"], "0xfffe01");
    assert_eq!(lines[2]["value"]["after"]["id"], 1);
    assert_eq!(lines[3]["value"], serde_json::Value::Null);

    let ran = sample(&w, &mock, "mixed", 10, "text").await;
    ran.assert_code(0);
    let out = ran.stdout();
    assert!(out.contains(r#"0@2  "k"  insert {"id":1}"#), "{out}");
    assert!(out.contains(r#"0@3  "k"  (tombstone)"#), "{out}");
}
