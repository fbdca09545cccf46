//! The stand-in as the course's `confluent-cloud` Terraform module would leave Confluent Cloud:
//! the outputs a real apply prints (for the Terraform test seam, `CDC_WORKSHOP_TEST_TERRAFORM_REPLAY`)
//! and what the module creates besides ids, the contacts topic with its schema.

use serde_json::{Value, json};

use super::{SeededWorkshop, StandIn};
use crate::assets::Assets;

/// The module whose outputs this replays.
pub const CONFLUENT_MODULE: &str = "confluent-cloud";
const CONTACTS_TOPIC: &str = "salesforce_contacts";
const CONTACTS_SCHEMA_FILE: &str = "schemas/salesforce_contacts-value.avsc";

impl SeededWorkshop {
    /// `terraform output -json` of the `confluent-cloud` module for this workshop served at
    /// `url`, with `bootstrap` as the Kafka endpoint. Holds the keys: write it owner-only.
    pub fn confluent_module_outputs(&self, url: &str, bootstrap: &str) -> Value {
        let plain = |v: &str| json!({"sensitive": false, "type": "string", "value": v});
        let secret = |v: &str| json!({"sensitive": true, "type": "string", "value": v});
        let mut out = serde_json::Map::new();
        for (name, value) in [
            ("organization_id", self.organization.as_str()),
            ("environment_id", &self.environment),
            ("environment_name", &self.environment_name),
            ("cluster_id", &self.cluster),
            ("cluster_name", &self.cluster_name),
            ("bootstrap_endpoint", bootstrap),
            ("rest_endpoint", url),
            ("sr_cluster_id", &self.schema_registry),
            ("sr_endpoint", url),
            ("compute_pool_id", &self.compute_pool),
            ("flink_rest_endpoint", url),
            ("app_manager_id", &self.service_account),
            ("connectors_sa_id", &self.service_account),
            // Connectors reach the local databases from this machine.
            ("egress_cidrs", r#"["127.0.0.1/32"]"#),
        ] {
            out.insert(name.to_string(), plain(value));
        }
        // The stand-in has one key per API family; every account of the module shares it.
        for (prefix, key) in [
            ("app_manager_kafka", &self.kafka_key),
            ("clients_kafka", &self.kafka_key),
            ("connectors_kafka", &self.kafka_key),
            ("sr", &self.schema_registry_key),
            ("flink", &self.flink_key),
        ] {
            out.insert(format!("{prefix}_key"), secret(&key.key));
            out.insert(format!("{prefix}_secret"), secret(&key.secret));
        }
        Value::Object(out)
    }
}

impl StandIn {
    /// Create what the `confluent-cloud` module creates besides ids: the `salesforce_contacts`
    /// topic and its value schema, read from the module's own schema file.
    pub fn apply_confluent_module(
        &self,
        s: &SeededWorkshop,
        assets: &Assets,
    ) -> Result<(), String> {
        let files = assets
            .module_files(CONFLUENT_MODULE)
            .map_err(|e| e.to_string())?;
        let schema = files
            .iter()
            .find(|(path, _)| path == CONTACTS_SCHEMA_FILE)
            .map(|(_, content)| String::from_utf8_lossy(content).into_owned())
            .ok_or_else(|| format!("module {CONFLUENT_MODULE} has no {CONTACTS_SCHEMA_FILE}"))?;
        self.seed_topic(&s.cluster, CONTACTS_TOPIC, 1);
        self.with_world(|w| {
            w.register(&format!("{CONTACTS_TOPIC}-value"), &schema, Some("AVRO"));
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::output::parse_outputs;
    use crate::standin::Timings;

    #[tokio::test]
    async fn the_outputs_read_as_terraform_output_json_and_the_topic_and_schema_exist() {
        let standin = StandIn::start(Timings::instant()).await.unwrap();
        let s = standin.seed_workshop();
        let json = s.confluent_module_outputs(&standin.url(), "127.0.0.1:9092");
        let outputs = parse_outputs(&json.to_string()).unwrap();
        assert_eq!(outputs["cluster_id"].as_text(), s.cluster);
        assert!(outputs["sr_secret"].sensitive);
        assert!(!outputs["egress_cidrs"].sensitive);
        standin
            .apply_confluent_module(&s, &Assets::embedded())
            .unwrap();
        standin.with_world(|w| {
            assert!(w.topic(&s.cluster, CONTACTS_TOPIC).is_some());
            assert!(w.subjects.contains_key("salesforce_contacts-value"));
        });
    }
}
