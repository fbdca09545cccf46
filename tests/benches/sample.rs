//! Budget (issue 6, restated in the README): `cdc-workshop sample --count 100000 --format jsonl
//! --from beginning` on the mock cluster decodes Avro within 2× of the time `kcat -C -e -c 100000`
//! takes to read the same topic raw, and its peak memory does not grow with the count.
//!
//! A whole-process comparison in one run: the stand-in serves the schema, librdkafka's mock
//! cluster holds 100,000 Avro change events (decimals, timestamps, strings, a nested envelope),
//! then each command runs `RUNS` times with its output discarded; wall time and peak RSS come
//! from the kernel's accounting of the waited-for child (`/usr/bin/time -f`).
//!
//! Run: `cargo bench --bench sample` (needs `kcat` and GNU `time`; `apt-get install kcat time`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark fails loudly when its setup fails"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::{Record, Value as Avro};
use cdc_workshop::standin::{StandIn, Timings};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

const TOPIC: &str = "XEPDB1.ORDERMGMT.ORDERS";
const RECORDS: usize = 100_000;
const PARTITIONS: i32 = 3;
const RUNS: usize = 15;

const SCHEMA: &str = r#"{"type":"record","name":"Envelope","namespace":"XEPDB1.ORDERMGMT.ORDERS","fields":[
    {"name":"before","type":["null",{"type":"record","name":"Value","fields":[
        {"name":"ORDER_ID","type":{"type":"bytes","logicalType":"decimal","precision":12,"scale":0}},
        {"name":"CUSTOMER_ID","type":"long"},
        {"name":"STATUS","type":"string"},
        {"name":"SALESMAN_ID","type":["null","long"],"default":null},
        {"name":"ORDER_DATE","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"AMOUNT","type":["null",{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}],"default":null}]}],"default":null},
    {"name":"after","type":["null","Value"],"default":null},
    {"name":"source","type":{"type":"record","name":"Source","fields":[
        {"name":"schema","type":"string"},{"name":"table","type":"string"},{"name":"scn","type":["null","string"],"default":null}]}},
    {"name":"op","type":"string"},
    {"name":"ts_ms","type":["null","long"],"default":null}]}"#;

fn decimal(n: i64) -> Avro {
    Avro::Decimal(apache_avro::Decimal::from(n.to_be_bytes().to_vec()))
}

fn event(schema: &Schema, schema_id: u32, i: i64) -> Vec<u8> {
    let Schema::Record(env) = schema else {
        unreachable!()
    };
    let Schema::Union(u) = &env.fields[0].schema else {
        unreachable!()
    };
    let mut row = Record::new(&u.variants()[1]).unwrap();
    row.put("ORDER_ID", decimal(i));
    row.put("CUSTOMER_ID", Avro::Long(i % 320));
    row.put(
        "STATUS",
        ["Shipped", "Pending", "Canceled"][(i % 3) as usize],
    );
    row.put(
        "SALESMAN_ID",
        Avro::Union(1, Box::new(Avro::Long(54 + i % 10))),
    );
    row.put(
        "ORDER_DATE",
        Avro::TimestampMillis(1_700_000_000_000 + i * 1000),
    );
    row.put(
        "AMOUNT",
        Avro::Union(1, Box::new(decimal(i * 137 % 1_000_000))),
    );
    let mut source = Record::new(&env.fields[2].schema).unwrap();
    source.put("schema", "ORDERMGMT");
    source.put("table", "ORDERS");
    source.put(
        "scn",
        Avro::Union(1, Box::new(Avro::String(format!("{}", 9_000_000 + i)))),
    );
    let mut e = Record::new(schema).unwrap();
    e.put("before", Avro::Union(0, Box::new(Avro::Null)));
    e.put("after", Avro::Union(1, Box::new(row.into())));
    e.put("source", Avro::from(source));
    e.put("op", if i % 5 == 0 { "u" } else { "c" });
    e.put(
        "ts_ms",
        Avro::Union(1, Box::new(Avro::Long(1_700_000_000_000 + i))),
    );
    let mut out = vec![0u8];
    out.extend(schema_id.to_be_bytes());
    out.extend(apache_avro::to_avro_datum(schema, e).unwrap());
    out
}

/// Median wall seconds and the largest peak RSS (KiB) of `RUNS` runs of `cmd`, one after the
/// other with output discarded.
fn measure(label: &str, mut cmd: impl FnMut() -> Command) -> (f64, u64) {
    let mut walls = Vec::new();
    let mut peak = 0u64;
    for _ in 0..RUNS {
        let report = tempfile::NamedTempFile::new().unwrap();
        let inner = cmd();
        let mut timed = Command::new("/usr/bin/time");
        timed
            .arg("-o")
            .arg(report.path())
            .args(["-f", "%e %M"])
            .arg(inner.get_program())
            .args(inner.get_args())
            .envs(inner.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // GNU time reports wall time in hundredths; the clock here is finer.
        let started = std::time::Instant::now();
        let status = timed.status().expect("run /usr/bin/time");
        walls.push(started.elapsed().as_secs_f64());
        assert!(status.success(), "{label} failed");
        let text = std::fs::read_to_string(report.path()).unwrap();
        let mut parts = text.split_whitespace();
        peak = peak.max(parts.nth(1).unwrap().parse::<u64>().unwrap());
    }
    walls.sort_by(f64::total_cmp);
    let wall = walls[walls.len() / 2];
    println!(
        "{label:<50} median {:>6.1} ms  {:>6.1} MiB peak",
        wall * 1000.0,
        peak as f64 / 1024.0
    );
    (wall, peak)
}

fn lines_of(mut cmd: Command) -> usize {
    let out = cmd.stderr(Stdio::inherit()).output().unwrap();
    assert!(out.status.success());
    out.stdout.iter().filter(|b| **b == b'\n').count()
}

fn main() {
    assert!(
        Path::new("/usr/bin/time").is_file(),
        "GNU time is needed: apt-get install time"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let standin = rt.block_on(StandIn::start(Timings::default())).unwrap();
    let seeded = standin.seed_workshop();
    let schema_id = standin.with_world(|w| w.register(&format!("{TOPIC}-value"), SCHEMA, None));
    let mock = MockCluster::new(1).unwrap();
    mock.create_topic(TOPIC, PARTITIONS, 1).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", mock.bootstrap_servers())
        .set("queue.buffering.max.messages", "1000000")
        .create()
        .unwrap();
    let schema = Schema::parse_str(SCHEMA).unwrap();
    let mut bytes = 0usize;
    for i in 0..RECORDS as i64 {
        let value = event(&schema, schema_id, i);
        bytes += value.len();
        let key = format!("{{\"ORDER_ID\":{i}}}");
        producer
            .send(BaseRecord::to(TOPIC).key(&key).payload(&value))
            .unwrap();
        if i % 10_000 == 0 {
            producer.poll(Duration::ZERO);
        }
    }
    producer.flush(Duration::from_secs(60)).unwrap();
    println!(
        "{RECORDS} Avro change events ({:.1} MiB) in {TOPIC} ({PARTITIONS} partitions)",
        bytes as f64 / 1_048_576.0
    );

    let lessons =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-confluent/lessons");
    let home = tempfile::tempdir().unwrap();
    let url = standin.url();
    let sample = |count: usize| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cdc-workshop"));
        c.args([
            "sample",
            "--topic",
            TOPIC,
            "--from",
            "beginning",
            "--format",
            "jsonl",
        ])
        .arg("--count")
        .arg(count.to_string())
        .envs(seeded.guide_env(&url))
        .env("CDC_WORKSHOP_HOME", home.path())
        .env("CDC_WORKSHOP_LESSONS", &lessons)
        .env("CDC_WORKSHOP_KAFKA_BOOTSTRAP", mock.bootstrap_servers())
        .env("CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL", "plaintext");
        c
    };
    let kcat = |count: usize| {
        let mut c = Command::new("kcat");
        c.args(["-C", "-e", "-q", "-o", "beginning", "-t", TOPIC])
            .arg("-b")
            .arg(mock.bootstrap_servers())
            .arg("-c")
            .arg(count.to_string());
        c
    };
    assert_eq!(
        lines_of(sample(RECORDS)),
        RECORDS,
        "sample prints every record"
    );
    // Raw payloads contain newline bytes: count kcat's records by their offsets instead.
    let mut offsets = kcat(RECORDS);
    offsets.args(["-f", "%o\n"]);
    assert_eq!(lines_of(offsets), RECORDS, "kcat reads every record");

    // `SAMPLE_BENCH_PERF=/tmp/perf.data` records a profile of one sample run first.
    if let Some(out) = std::env::var_os("SAMPLE_BENCH_PERF") {
        let inner = sample(RECORDS);
        let status = Command::new("perf")
            .args(["record", "-g", "-o"])
            .arg(out)
            .arg("--")
            .arg(inner.get_program())
            .args(inner.get_args())
            .envs(inner.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .stdout(Stdio::null())
            .status()
            .expect("run perf");
        assert!(status.success(), "perf record failed");
    }
    // `SAMPLE_BENCH_HOLD=1` prints both commands and keeps the world up for hand measurements.
    if std::env::var_os("SAMPLE_BENCH_HOLD").is_some() {
        for c in [sample(RECORDS), kcat(RECORDS)] {
            let env: Vec<String> = c
                .get_envs()
                .filter_map(|(k, v)| Some(format!("{}={:?}", k.to_str()?, v?)))
                .collect();
            println!(
                "{} {:?} {:?}",
                env.join(" "),
                c.get_program(),
                c.get_args().collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_secs(3600));
    }
    let (kcat_s, _) = measure("kcat -C -e -c 100000 (raw bytes)", || kcat(RECORDS));
    let (sample_s, sample_peak) =
        measure("cdc-workshop sample --count 100000 (Avro → JSON)", || {
            sample(RECORDS)
        });
    let (_, small_peak) = measure("cdc-workshop sample --count 50000", || sample(50_000));
    println!(
        "time ratio sample/kcat: {:.2} (budget ≤ 2.00, see the README) · peak memory 100k/50k: {:.2} (flat ≈ 1)",
        sample_s / kcat_s,
        sample_peak as f64 / small_peak as f64
    );
    drop(standin);
}
