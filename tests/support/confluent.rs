//! A seeded Confluent stand-in and the scope that talks to it, for client and runner tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cdc_workshop::backend::confluent::client::{Budget, ConfluentClient, Sleeper};
use cdc_workshop::backend::confluent::{KeyKind, Scope};
use cdc_workshop::standin::{SeededWorkshop, StandIn, Timings};
use futures::future::BoxFuture;

pub struct World {
    pub standin: StandIn,
    pub seeded: SeededWorkshop,
    pub scope: Scope,
}

pub async fn world(timings: Timings) -> World {
    let standin = StandIn::start(timings).await.unwrap();
    let seeded = standin.seed_workshop();
    let url = standin.url();
    let scope = Scope {
        api_url: url.clone(),
        metrics_url: url.clone(),
        kafka_rest_url: Some(url.clone()),
        kafka_bootstrap: None,
        kafka_security_protocol: None,
        schema_registry_url: Some(url.clone()),
        flink_url: Some(url.clone()),
        organization: Some(seeded.organization.clone()),
        environment: Some(seeded.environment.clone()),
        cluster: Some(seeded.cluster.clone()),
        compute_pool: Some(seeded.compute_pool.clone()),
        principal: Some(seeded.service_account.clone()),
        flink_catalog: Some(seeded.environment_name.clone()),
        flink_database: Some(seeded.cluster_name.clone()),
        keys: BTreeMap::from([
            (KeyKind::Cloud, seeded.cloud_key.clone()),
            (KeyKind::Kafka, seeded.kafka_key.clone()),
            (KeyKind::SchemaRegistry, seeded.schema_registry_key.clone()),
            (KeyKind::Flink, seeded.flink_key.clone()),
        ]),
    };
    World {
        standin,
        seeded,
        scope,
    }
}

/// Records every wait the client asks for instead of sleeping.
#[derive(Default, Clone)]
pub struct RecordingSleeper(pub Arc<Mutex<Vec<Duration>>>);

impl Sleeper for RecordingSleeper {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(d);
        Box::pin(async {})
    }
}

impl RecordingSleeper {
    pub fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// A client that never really sleeps, with its record of waits.
pub fn client() -> (ConfluentClient, RecordingSleeper) {
    let sleeper = RecordingSleeper::default();
    let client = ConfluentClient::with_parts(Budget::new(), Arc::new(sleeper.clone())).unwrap();
    (client, sleeper)
}

/// A PostgreSQL CDC source reading `public.users` into `postgres.public.users`.
pub fn pg_config(host: &str) -> BTreeMap<String, String> {
    [
        ("connector.class", "PostgresCdcSourceV2"),
        ("kafka.auth.mode", "SERVICE_ACCOUNT"),
        ("database.hostname", host),
        ("database.user", "postgres"),
        ("database.password", "postgres-pw"),
        ("database.dbname", "customers"),
        ("topic.prefix", "postgres"),
        ("table.include.list", "public.users"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}
