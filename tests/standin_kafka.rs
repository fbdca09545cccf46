//! The stand-in's source connectors write change events to a real Kafka protocol endpoint
//! (librdkafka's mock cluster): a snapshot when they start running, then one insert per round,
//! Avro in the wire format with the schema its registry serves; a paused connector writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;

use std::sync::Arc;
use std::time::Duration;

use cdc_workshop::backend::confluent::ConfluentApi;
use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::backend::kafka::sample::{KafkaSettings, Start, sample};
use cdc_workshop::backend::kafka::schemas::{Decoder, RegistrySchemas};
use cdc_workshop::standin::{SNAPSHOT_ROWS, Timings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_source_snapshots_then_streams_inserts_that_decode_through_the_registry() {
    let w = confluent::world(Timings::default()).await;
    let bootstrap = w.standin.start_kafka(Duration::from_millis(100)).unwrap();
    let settings = KafkaSettings {
        bootstrap,
        security_protocol: "plaintext".into(),
        sasl: None,
    };
    let client = ConfluentClient::new().unwrap();
    client
        .create_connector(&w.scope, "pg", &confluent::pg_config("db"))
        .await
        .unwrap();

    // Wait until the snapshot and at least three inserts are there.
    let mut records = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let s = settings.clone();
        records = tokio::task::spawn_blocking(move || {
            sample(
                &s,
                "postgres.public.users",
                Start::Beginning,
                100,
                Duration::from_secs(2),
            )
        })
        .await
        .unwrap()
        .unwrap_or_default();
        if records.len() >= SNAPSHOT_ROWS as usize + 3 {
            break;
        }
    }
    assert!(records.len() >= SNAPSHOT_ROWS as usize + 3, "{records:?}");
    let api: Arc<dyn ConfluentApi> = Arc::new(client);
    let mut decoder = Decoder::new(Arc::new(RegistrySchemas::new(
        Arc::clone(&api),
        w.scope.clone(),
    )));
    let mut ops = Vec::new();
    for (i, raw) in records.iter().enumerate() {
        let r = decoder.decode(raw).await;
        assert_eq!(
            r.value["after"]["id"],
            serde_json::json!(i + 1),
            "{:?}",
            r.value
        );
        assert_eq!(r.value["source"]["table"], "users");
        ops.push(r.value["op"].as_str().unwrap().to_string());
    }
    assert_eq!(&ops[..3], ["r", "r", "r"]);
    assert!(ops[3..].iter().all(|o| o == "c"), "{ops:?}");
    assert_eq!(decoder.cached(), 1, "one schema, fetched once");

    // Paused, the connector writes nothing more.
    api.pause_connector(&w.scope, "pg").await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let count = || {
        let s = settings.clone();
        tokio::task::spawn_blocking(move || {
            sample(
                &s,
                "postgres.public.users",
                Start::Beginning,
                10_000,
                Duration::from_secs(2),
            )
            .unwrap()
            .len()
        })
    };
    let before = count().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count().await.unwrap(),
        before,
        "a paused source wrote records"
    );
}
