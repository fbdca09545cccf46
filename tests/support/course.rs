//! The world the shipped course's AWS track runs in during tests: the Confluent stand-in with
//! its Kafka, REAL PostgreSQL and MariaDB seeded with the course's own seed scripts (playing
//! the EC2 database VM), the VM's setup status page, and the outputs the Terraform modules
//! would give for all of that, replayed through the test seam
//! (`CDC_WORKSHOP_TEST_TERRAFORM_REPLAY`).
//!
//! moto plays S3 (the stand-in's S3 sink writes there) and the Redshift Data API.
//!
//! Include it next to `databases.rs` and `moto.rs` (`#[path = "support/…"] mod …;`).

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: failing loudly is their job, and not every test uses every helper"
)]

use std::path::{Path, PathBuf};

use cdc_workshop::standin::{SeededWorkshop, StandIn, Timings};
use serde_json::json;

use super::databases::{MariaDb, PASSWORD, Postgres};
use super::moto::{Account, Moto};

/// The bucket the `aws-s3` module's apply would have created.
pub const BUCKET: &str = "cdc-workshop-1a2b3c4d";

pub struct CourseWorld {
    pub standin: StandIn,
    pub seeded: SeededWorkshop,
    /// The stand-in's Kafka (librdkafka's mock cluster).
    pub bootstrap: String,
    /// Plays Salesforce's OAuth token endpoint (every sign-in succeeds).
    pub salesforce_login: String,
    pub pg: Postgres,
    pub maria: MariaDb,
    pub aws: Moto,
    pub replay: tempfile::TempDir,
}

/// Serves `body` as a VM's setup status page; returns its URL.
async fn status_page(body: &'static str) -> String {
    format!("{}/status.txt", serve(body).await)
}

/// Answers every request with 200 and `body`; returns the base URL.
async fn serve(body: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    format!("http://{addr}")
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/terraform/aws-mysql-postgres/files")
}

impl CourseWorld {
    /// `None` when PostgreSQL or MariaDB is missing outside CI (printed); a panic under CI.
    pub async fn start() -> Option<Self> {
        let (Some(pg), Some(maria), Some(aws)) =
            (Postgres::start(), MariaDb::start(), Moto::start())
        else {
            return None;
        };
        // What the aws-s3 module's apply creates.
        Account::new(aws.scope()).create_bucket(BUCKET).await;
        // What the Redshift sink would have loaded, as the Data API answers the lesson's three
        // queries in order: SELECT 1, the contacts, the one new account.
        aws.seed_statement_results(json!([
            {"status": "FINISHED", "records": [[{"longValue": 1}]]},
            {"status": "FINISHED", "records": [[{"longValue": 12}]]},
            {"status": "FINISHED", "records": [[{"longValue": 1}]]},
        ]))
        .await;
        pg.psql("postgres", "CREATE DATABASE customers");
        pg.psql_file("customers", &seeds().join("postgres/01_create_tables.sql"));
        pg.psql_file("customers", &seeds().join("postgres/02_fill_tables.sql"));
        let accounts = std::fs::read_to_string(seeds().join("mysql/accounts.sql.tftpl"))
            .unwrap()
            .replace("${mysql_cdc_password}", PASSWORD);
        // The image creates `mysqluser`; a fresh MariaDB's anonymous accounts would shadow
        // the named ones for local connections.
        maria.sql(&format!(
            "CREATE USER 'mysqluser'@'%' IDENTIFIED BY '{PASSWORD}'; DROP USER IF EXISTS ''@'localhost'; {accounts}"
        ));

        let standin = StandIn::start(Timings::default())
            .await
            .unwrap()
            .with_s3_endpoint(aws.url.clone());
        let seeded = standin.seed_workshop();
        let bootstrap = standin
            .start_kafka(std::time::Duration::from_millis(500))
            .unwrap();
        standin
            .apply_confluent_module(&seeded, &cdc_workshop::assets::Assets::embedded())
            .unwrap();
        let status_url = status_page("cdc-workshop: databases ready\n").await;

        let replay = tempfile::tempdir().unwrap();
        std::fs::write(
            replay.path().join("confluent-cloud.json"),
            seeded
                .confluent_module_outputs(&standin.url(), &bootstrap)
                .to_string(),
        )
        .unwrap();
        let plain = |v: &str| json!({"sensitive": false, "type": "string", "value": v});
        let secret = |v: &str| json!({"sensitive": true, "type": "string", "value": v});
        let dbs = json!({
            "instance_id": plain("i-0123456789abcdef0"),
            "public_ip": plain("127.0.0.1"),
            "mysql_port": plain(&maria.port.to_string()),
            "postgres_port": plain(&pg.port.to_string()),
            "mysql_user": plain("mysqluser"),
            "mysql_cdc_user": plain("debezium"),
            "mysql_database": plain("demo"),
            "postgres_user": plain("postgres"),
            "postgres_database": plain("customers"),
            "ssh_command": plain(""),
            "status_url": plain(&status_url),
            "mysql_password": secret(PASSWORD),
            "mysql_cdc_password": secret(PASSWORD),
            "postgres_password": secret(PASSWORD),
        });
        std::fs::write(
            replay.path().join("aws-mysql-postgres.json"),
            dbs.to_string(),
        )
        .unwrap();
        let oracle_status = status_page("cdc-workshop: oracle ready\n").await;
        let oracle = json!({
            "instance_id": plain("i-0fedcba9876543210"),
            "public_ip": plain("127.0.0.1"),
            "oracle_port": plain("1521"),
            "oracle_service": plain("XEPDB1"),
            "cdc_user": plain("C##MYUSER"),
            "schema_user": plain("ordermgmt"),
            "ssh_command": plain(""),
            "status_url": plain(&oracle_status),
            "cdc_password": secret(PASSWORD),
            "schema_password": secret(PASSWORD),
            "sys_password": secret(PASSWORD),
        });
        std::fs::write(replay.path().join("aws-oracle.json"), oracle.to_string()).unwrap();
        let s3 = json!({
            "bucket_name": plain(BUCKET),
            "bucket_arn": plain(&format!("arn:aws:s3:::{BUCKET}")),
            "region": plain("eu-central-1"),
            "sink_access_key_id": secret("AKIAI44QH8DHBEXAMPLE"),
            "sink_secret_access_key": secret("je7MtGbClwBF2Zp9Utk7h3yCo8nvbEXAMPLEKEY1"),
        });
        std::fs::write(replay.path().join("aws-s3.json"), s3.to_string()).unwrap();
        let redshift = json!({
            "cluster_identifier": plain("cdc-workshop-1a2b3c4d"),
            "endpoint_host": plain("cdc-workshop-1a2b3c4d.abc123.eu-central-1.redshift.amazonaws.com"),
            "port": plain("5439"),
            "database": plain("cdcworkshop"),
            "master_username": plain("cdcadmin"),
            "master_password": secret(PASSWORD),
        });
        std::fs::write(
            replay.path().join("aws-redshift.json"),
            redshift.to_string(),
        )
        .unwrap();
        let salesforce_login = serve(
            r#"{"access_token":"00Dtoken","instance_url":"https://example.my.salesforce.com"}"#,
        )
        .await;
        Some(Self {
            standin,
            seeded,
            bootstrap,
            salesforce_login,
            pg,
            maria,
            aws,
            replay,
        })
    }

    /// The guide's environment for this world (holds the stand-in's keys: child processes
    /// and 0600 files only).
    pub fn guide_env(&self) -> Vec<(String, String)> {
        let url = self.standin.url();
        [
            (
                "CDC_WORKSHOP_TEST_TERRAFORM_REPLAY",
                self.replay.path().display().to_string(),
            ),
            ("CDC_WORKSHOP_CONFLUENT_API_URL", url.clone()),
            ("CDC_WORKSHOP_METRICS_URL", url),
            ("CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL", "plaintext".into()),
            ("CDC_WORKSHOP_CREDENTIAL_STORE", "file".into()),
            ("CDC_WORKSHOP_PUBLIC_IP", "127.0.0.1".into()),
            ("CDC_WORKSHOP_AWS_ENDPOINT_URL", self.aws.url.clone()),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12".into(),
            ),
            ("CONFLUENT_CLOUD_API_KEY", self.seeded.cloud_key.key.clone()),
            (
                "CONFLUENT_CLOUD_API_SECRET",
                self.seeded.cloud_key.secret.clone(),
            ),
            ("SALESFORCE_USER", "ann@example.com".into()),
            ("SALESFORCE_PASSWORD", PASSWORD.into()),
            ("SALESFORCE_SECURITY_TOKEN", "Tok3nExample".into()),
            ("SALESFORCE_CONSUMER_KEY", "3MVG9consumerEXAMPLE".into()),
            ("SALESFORCE_CONSUMER_SECRET", "C0nsumerSecretEXAMPLE".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// `--set` values the course needs in this world.
    pub fn course_settings(&self) -> Vec<String> {
        vec![
            "owner_email=ann@example.com".into(),
            format!("confluent_api_url={}", self.standin.url()),
            format!("salesforce_login_url={}", self.salesforce_login),
        ]
    }
}

/// The Oracle CDC connector's records as the course's lessons expect them: upper-case columns
/// plus the connector's metadata, the snapshot of CONTACTS (319 rows) and PRODUCTS (288, prices
/// with cents), and the four copies of the contact the Oracle lesson inserts.
impl CourseWorld {
    pub fn play_oracle(&self) {
        use apache_avro::Schema;
        use apache_avro::types::{Record, Value as Avro};
        use rdkafka::ClientConfig;
        use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

        let producer: BaseProducer = ClientConfig::new()
            .set("bootstrap.servers", &self.bootstrap)
            .create()
            .unwrap();
        let nullable =
            |name: &str, ty: &str| json!({"name": name, "type": ["null", ty], "default": null});
        let table = |name: &str, columns: &[(&str, &str)]| -> (String, Schema, u32) {
            let topic = format!("XEPDB1.ORDERMGMT.{name}");
            let mut fields: Vec<serde_json::Value> =
                columns.iter().map(|(c, t)| nullable(c, t)).collect();
            for meta in ["table", "op_type", "username"] {
                fields.push(nullable(meta, "string"));
            }
            let text =
                json!({"type": "record", "name": name, "namespace": "ordermgmt", "fields": fields})
                    .to_string();
            let id = self
                .standin
                .with_world(|w| w.register(&format!("{topic}-value"), &text, Some("AVRO")));
            self.standin.seed_topic(&self.seeded.cluster, &topic, 1);
            (topic, Schema::parse_str(&text).unwrap(), id)
        };
        let send =
            |(topic, schema, id): &(String, Schema, u32), key: String, row: Vec<(&str, Avro)>| {
                let mut record = Record::new(schema).unwrap();
                for (name, value) in row {
                    record.put(name, Avro::Union(1, Box::new(value)));
                }
                let mut payload = vec![0u8];
                payload.extend(id.to_be_bytes());
                payload.extend(apache_avro::to_avro_datum(schema, record).unwrap());
                producer
                    .send(BaseRecord::to(topic).key(&key).payload(&payload))
                    .unwrap();
                producer.poll(std::time::Duration::ZERO);
            };
        let contacts = table(
            "CONTACTS",
            &[
                ("CONTACT_ID", "long"),
                ("FIRST_NAME", "string"),
                ("LAST_NAME", "string"),
                ("EMAIL", "string"),
            ],
        );
        let contact = |id: i64, first: &str, last: &str, email: &str, op: &str| {
            vec![
                ("CONTACT_ID", Avro::Long(id)),
                ("FIRST_NAME", Avro::String(first.into())),
                ("LAST_NAME", Avro::String(last.into())),
                ("EMAIL", Avro::String(email.into())),
                ("table", Avro::String("XEPDB1.ORDERMGMT.CONTACTS".into())),
                ("op_type", Avro::String(op.into())),
                ("username", Avro::String("C##MYUSER".into())),
            ]
        };
        for id in 1..=319 {
            send(
                &contacts,
                id.to_string(),
                contact(
                    id,
                    &format!("First{id}"),
                    &format!("Last{id}"),
                    &format!("contact{id}@example.com"),
                    "R",
                ),
            );
        }
        for id in 320..=323 {
            send(
                &contacts,
                id.to_string(),
                contact(id, "Carsten", "Muetzlitz", "cmutzlitz@confluent.io", "I"),
            );
        }
        let products = table(
            "PRODUCTS",
            &[
                ("PRODUCT_ID", "long"),
                ("PRODUCT_NAME", "string"),
                ("DESCRIPTION", "string"),
                ("LIST_PRICE", "double"),
            ],
        );
        for id in 1..=288 {
            send(
                &products,
                id.to_string(),
                vec![
                    ("PRODUCT_ID", Avro::Long(id)),
                    ("PRODUCT_NAME", Avro::String(format!("Product {id}"))),
                    (
                        "DESCRIPTION",
                        Avro::String("Speed: 2.4GHz, Cores: 8".into()),
                    ),
                    ("LIST_PRICE", Avro::Double(99.99 + id as f64)),
                    ("table", Avro::String("XEPDB1.ORDERMGMT.PRODUCTS".into())),
                    ("op_type", Avro::String("R".into())),
                    ("username", Avro::String("C##MYUSER".into())),
                ],
            );
        }
        // The redo topic appears with the first change.
        self.standin
            .seed_topic(&self.seeded.cluster, "XEPDB1.ORDERMGMT.REDOLOG", 1);
        // The side quest's second connector logs the 319 customer updates in its redo topic.
        let redo = table("REDOLOG2", &[("SQL_REDO", "string")]);
        for id in 1..=319 {
            send(
                &redo,
                id.to_string(),
                vec![
                    (
                        "SQL_REDO",
                        Avro::String(format!(
                            "update \"ORDERMGMT\".\"CUSTOMERS\" set \"CREDIT_LIMIT\" = CREDIT_LIMIT * 1.1 where ROWID = '{id}'"
                        )),
                    ),
                    ("table", Avro::String("XEPDB1.ORDERMGMT.CUSTOMERS".into())),
                    ("op_type", Avro::String("U".into())),
                    ("username", Avro::String("ORDERMGMT".into())),
                ],
            );
        }
        producer.flush(std::time::Duration::from_secs(10)).unwrap();
    }
}
