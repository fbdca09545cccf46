//! S3 against a real moto server: the client's `PutObject` (signed, keys with `=` and `+` as
//! the S3 sink names its files), and the stand-in playing the S3 sink connector of the lesson
//! `s3-sink-aws`: Avro object container files of a topic's records in the bucket, a refused
//! write turning the connector FAILED, and a paused connector writing nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;
#[path = "support/moto.rs"]
mod moto;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use apache_avro::Schema;
use apache_avro::types::Value as Avro;
use cdc_workshop::backend::aws::sigv4::{amz_now, payload_hash, sigv4_authorization, uri_encode};
use cdc_workshop::backend::aws::{AwsApi, AwsClient, AwsErrorKind, AwsScope};
use cdc_workshop::backend::confluent::ConfluentApi;
use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::lesson::{ConfluentAction, StepKind, load_course};
use cdc_workshop::standin::Timings;
use moto::{Account, Moto};
use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::json;

const BUCKET: &str = "cmcdc-workshop-1a2b";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_object_writes_a_signed_object_that_the_listing_shows() {
    // Signatures are checked after the three calls that make the IAM user and its key.
    let Some(moto) = Moto::start_with_auth(3) else {
        return;
    };
    let admin = Account::new(moto.scope());
    let (key, secret) = admin.iam_user_with_key("s3-sink").await;
    let scope = moto.scope_with(&key, &secret);
    let account = Account::new(scope.clone());
    account.create_bucket(BUCKET).await;

    let client = AwsClient::new().unwrap();
    // moto checks a signature against the path it decoded, so a key with `=` or `+` (which
    // S3 and AWS's SDKs sign percent-encoded) is refused here; the sink's tests below write
    // such keys to a moto that does not check signatures.
    let name = "topics/all_products/part-0.avro";
    let body = b"Obj\x01 an avro container".to_vec();
    client
        .put_object(
            &scope,
            BUCKET,
            name,
            "application/octet-stream",
            body.clone(),
        )
        .await
        .unwrap();
    let listing = client
        .list_objects(&scope, BUCKET, "topics/all_products/")
        .await
        .unwrap();
    assert_eq!(listing.objects.len(), 1, "{listing:?}");
    assert_eq!(listing.objects[0].key, name);
    assert_eq!(listing.objects[0].size, body.len() as u64);

    // S3's refusals come back typed: no such bucket, a wrong secret.
    let missing = client
        .put_object(
            &scope,
            "no-such-bucket-1a2b",
            "a.avro",
            "application/octet-stream",
            vec![1],
        )
        .await
        .unwrap_err();
    assert_eq!(missing.kind, AwsErrorKind::NotFound, "{missing}");
    assert_eq!(missing.code.as_deref(), Some("NoSuchBucket"), "{missing}");
    let wrong = moto.scope_with(&key, "not-the-secret");
    let refused = client
        .put_object(
            &wrong,
            BUCKET,
            "b.avro",
            "application/octet-stream",
            vec![1],
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind, AwsErrorKind::Rejected, "{refused}");
}

const TOPIC: &str = "all_products";
const CONNECTOR: &str = "S3_SINKConnector_0";

/// The lesson's `S3_SINKConnector_0` config, its placeholders filled as the guide would.
fn lesson_config(bucket: &str, sa: &str) -> BTreeMap<String, String> {
    let course = load_course(&LessonSource::embedded()).unwrap();
    let lesson = course.lesson("s3-sink-aws").unwrap();
    let config = lesson
        .steps()
        .find_map(|step| match &step.kind {
            StepKind::Confluent(c) => match &c.action {
                ConfluentAction::CreateConnector { config, .. } => Some(config.clone()),
                _ => None,
            },
            _ => None,
        })
        .expect("the lesson creates a connector");
    config
        .into_iter()
        .map(|(k, v)| {
            let value = match k.as_str() {
                "s3.bucket.name" => bucket.to_string(),
                "s3.region" => moto::REGION.to_string(),
                "aws.access.key.id" => moto::ANY_KEY_ID.to_string(),
                "aws.secret.access.key" => moto::ANY_SECRET.to_string(),
                "kafka.service.account.id" => sa.to_string(),
                _ => v.raw().to_string(),
            };
            assert!(!value.contains("{{"), "{k} = {value}");
            (k, value)
        })
        .collect()
}

fn product_schema() -> String {
    json!({"type": "record", "name": "all_products_value", "namespace": "org.apache.flink.avro.generated.record", "fields": [
        {"name": "product_id", "type": "int"},
        {"name": "name", "type": ["null", "string"], "default": null},
    ]})
    .to_string()
}

/// `n` products (ids from `first`) produced to partition 0 of `all_products` (the mock cluster
/// makes several) in the Confluent wire format.
fn produce(bootstrap: &str, schema_id: u32, first: i32, n: i32) {
    let schema = Schema::parse_str(&product_schema()).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    for id in first..first + n {
        let value = Avro::Record(vec![
            ("product_id".into(), Avro::Int(id)),
            (
                "name".into(),
                Avro::Union(1, Box::new(Avro::String(format!("Product {id}")))),
            ),
        ]);
        let mut bytes = vec![0];
        bytes.extend(schema_id.to_be_bytes());
        bytes.extend(apache_avro::to_avro_datum(&schema, value).unwrap());
        producer
            .send(
                BaseRecord::<(), [u8]>::to(TOPIC)
                    .partition(0)
                    .payload(&bytes),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(5)).unwrap();
}

/// Every `.avro` object under the topic's folder, key and content, once there are `n`.
async fn files(
    scope: &AwsScope,
    bucket: &str,
    n: usize,
    within: Duration,
) -> Vec<(String, Vec<u8>)> {
    let client = AwsClient::new().unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + within;
    loop {
        let listing = client
            .list_objects(scope, bucket, "topics/all_products/")
            .await
            .unwrap();
        if listing.objects.len() >= n || Instant::now() > deadline {
            let mut out = Vec::new();
            for o in listing.objects {
                let body = get_object(&http, scope, bucket, &o.key).await;
                out.push((o.key, body));
            }
            out.sort();
            return out;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An object's bytes by a signed `GetObject` (the client reads only text, an Avro file is not).
async fn get_object(http: &reqwest::Client, scope: &AwsScope, bucket: &str, key: &str) -> Vec<u8> {
    let endpoint = scope.endpoint.clone().unwrap();
    let host = endpoint.trim_start_matches("http://").to_string();
    let path = format!("/{bucket}/{}", uri_encode(key, true));
    let date = amz_now();
    let hash = payload_hash(b"");
    let auth = sigv4_authorization(
        &scope.access_key_id,
        scope.secret_access_key.expose(),
        &date,
        &scope.region,
        "s3",
        "GET",
        &path,
        "",
        &[
            ("host", &host),
            ("x-amz-content-sha256", &hash),
            ("x-amz-date", &date),
        ],
        b"",
    );
    let resp = http
        .get(format!("{endpoint}{path}"))
        .header("x-amz-content-sha256", &hash)
        .header("x-amz-date", &date)
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.bytes().await.unwrap().to_vec()
}

/// The product ids of an Avro object container file (panics when it is not one).
fn ids_in(container: &[u8]) -> Vec<i32> {
    apache_avro::Reader::new(container)
        .unwrap()
        .map(|v| match v.unwrap() {
            Avro::Record(fields) => match &fields[0].1 {
                Avro::Int(id) => *id,
                other => panic!("product_id is {other:?}"),
            },
            other => panic!("not a record: {other:?}"),
        })
        .collect()
}

/// A stand-in whose S3 sink writes to `moto`, with its Kafka running, the `all_products` topic
/// and its Avro schema registered: the world, the bootstrap address and the schema id.
async fn sink_world(moto: &Moto) -> (confluent::World, String, u32) {
    let mut w = confluent::world(Timings::default()).await;
    w.standin = w.standin.with_s3_endpoint(moto.url.clone());
    let bootstrap = w.standin.start_kafka(Duration::from_millis(100)).unwrap();
    w.standin.seed_topic(&w.seeded.cluster, TOPIC, 1);
    let schema_id = w
        .standin
        .with_world(|w| w.register("all_products-value", &product_schema(), None));
    (w, bootstrap, schema_id)
}

async fn status(w: &confluent::World) -> (String, String) {
    let s = ConfluentClient::new()
        .unwrap()
        .connector_status(&w.scope, CONNECTOR)
        .await
        .unwrap();
    (s.state, s.trace)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lessons_s3_sink_writes_avro_files_of_the_topic_and_stops_when_paused() {
    let Some(moto) = Moto::start() else { return };
    Account::new(moto.scope()).create_bucket(BUCKET).await;
    let (w, bootstrap, schema_id) = sink_world(&moto).await;
    // 250 records: two full files of `flush.size` 100, and 50 that the minute's rotation closes.
    produce(&bootstrap, schema_id, 1, 250);

    let client = ConfluentClient::new().unwrap();
    let config = lesson_config(BUCKET, &w.seeded.service_account);
    assert_eq!(config["flush.size"], "100");
    client
        .create_connector(&w.scope, CONNECTOR, &config)
        .await
        .unwrap();

    let found = files(&moto.scope(), BUCKET, 2, Duration::from_secs(30)).await;
    assert_eq!(
        found.len(),
        2,
        "{:?}",
        found.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let hour = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let folder = format!(
        "topics/all_products/year={}/month={}/day={}/hour=",
        &hour[0..4],
        &hour[5..7],
        &hour[8..10]
    );
    for (i, (key, body)) in found.iter().enumerate() {
        assert!(key.starts_with(&folder), "{key} is not under {folder}");
        let start = i * 100;
        assert!(
            key.ends_with(&format!("/all_products+0+{start:010}.avro")),
            "{key}"
        );
        let ids = ids_in(body);
        let expected: Vec<i32> = (start as i32 + 1..=start as i32 + 100).collect();
        assert_eq!(ids, expected, "{key}");
    }
    assert_eq!(status(&w).await.0, "RUNNING");

    // Paused, the connector writes nothing more: not the 50 it holds, not new records.
    client.pause_connector(&w.scope, CONNECTOR).await.unwrap();
    let paused_by = Instant::now() + Duration::from_secs(5);
    while status(&w).await.0 != "PAUSED" {
        assert!(Instant::now() < paused_by, "the connector did not pause");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    produce(&bootstrap, schema_id, 251, 100);
    let while_paused = files(&moto.scope(), BUCKET, 3, Duration::from_secs(3)).await;
    assert_eq!(while_paused.len(), 2, "a paused connector wrote a file");

    // Resumed, it goes on from what it wrote: 100 new records fill the third file (offsets
    // 200..300), none of the first 200 is written twice.
    client.resume_connector(&w.scope, CONNECTOR).await.unwrap();
    let resumed = files(&moto.scope(), BUCKET, 3, Duration::from_secs(30)).await;
    assert_eq!(resumed.len(), 3);
    let (key, body) = &resumed[2];
    assert!(key.ends_with("/all_products+0+0000000200.avro"), "{key}");
    assert_eq!(ids_in(body), (201..=300).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_fails_the_connector_with_s3s_error_in_its_trace() {
    let Some(moto) = Moto::start() else { return };
    let (w, bootstrap, schema_id) = sink_world(&moto).await;
    produce(&bootstrap, schema_id, 1, 100);

    let mut config = lesson_config("no-such-bucket-1a2b", &w.seeded.service_account);
    config.insert("flush.size".into(), "10".into());
    ConfluentClient::new()
        .unwrap()
        .create_connector(&w.scope, CONNECTOR, &config)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let (state, trace) = loop {
        let (state, trace) = status(&w).await;
        if state == "FAILED" || Instant::now() > deadline {
            break (state, trace);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(state, "FAILED", "{trace}");
    assert!(trace.contains("NoSuchBucket"), "{trace}");
    assert!(trace.contains("no-such-bucket-1a2b"), "{trace}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fewer_records_than_flush_size_become_a_file_when_the_rotation_interval_passes() {
    let Some(moto) = Moto::start() else { return };
    Account::new(moto.scope()).create_bucket(BUCKET).await;
    let (w, bootstrap, schema_id) = sink_world(&moto).await;
    produce(&bootstrap, schema_id, 1, 30);

    // The lesson's minute, shortened: 30 records never fill a file of 100.
    let mut config = lesson_config(BUCKET, &w.seeded.service_account);
    config.insert("rotate.schedule.interval.ms".into(), "700".into());
    ConfluentClient::new()
        .unwrap()
        .create_connector(&w.scope, CONNECTOR, &config)
        .await
        .unwrap();
    let found = files(&moto.scope(), BUCKET, 1, Duration::from_secs(30)).await;
    assert_eq!(found.len(), 1);
    assert!(found[0].0.ends_with("/all_products+0+0000000000.avro"));
    assert_eq!(ids_in(&found[0].1), (1..=30).collect::<Vec<_>>());
}
