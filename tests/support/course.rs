//! The world the shipped course's AWS track runs in during tests: the Confluent stand-in with
//! its Kafka, REAL PostgreSQL and MariaDB seeded with the course's own seed scripts (playing
//! the EC2 database VM), the VM's setup status page, and the outputs the Terraform modules
//! would give for all of that, replayed through the test seam
//! (`CDC_WORKSHOP_TEST_TERRAFORM_REPLAY`).
//!
//! Include it next to `databases.rs` (`#[path = "support/databases.rs"] mod databases;`).

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

pub struct CourseWorld {
    pub standin: StandIn,
    pub seeded: SeededWorkshop,
    pub pg: Postgres,
    pub maria: MariaDb,
    pub replay: tempfile::TempDir,
}

/// Serves `body` as a VM's setup status page; returns its URL.
async fn status_page(body: &'static str) -> String {
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
    format!("http://{addr}/status.txt")
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/terraform/aws-mysql-postgres/files")
}

impl CourseWorld {
    /// `None` when PostgreSQL or MariaDB is missing outside CI (printed); a panic under CI.
    pub async fn start() -> Option<Self> {
        let (Some(pg), Some(maria)) = (Postgres::start(), MariaDb::start()) else {
            return None;
        };
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

        let standin = StandIn::start(Timings::default()).await.unwrap();
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
        Some(Self {
            standin,
            seeded,
            pg,
            maria,
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
        ]
    }
}
