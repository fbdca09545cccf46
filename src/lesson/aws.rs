//! The AWS part of the course model: the course's `[aws]` table (region and key, as templates)
//! and the check kinds that look into an AWS account: `object_store` (objects a sink wrote),
//! `warehouse_rows` (rows a sink loaded into Redshift) and `no_leftovers` (teardown left
//! nothing behind, in AWS, in Confluent Cloud and in the resource ledger).

pub(crate) mod parse;

use super::SourcePos;
use super::template::Template;

/// Where AWS calls go and as whom. The runner renders it when a check probes, so a key stored
/// after the course was loaded is used.
#[derive(Debug, Clone, Default)]
pub struct AwsContext {
    pub region: Option<Template>,
    pub access_key_id: Option<Template>,
    /// Must name a secret.
    pub secret_access_key: Option<Template>,
    /// Must name a secret; only temporary credentials have one.
    pub session_token: Option<Template>,
    pub pos: Option<SourcePos>,
}

impl AwsContext {
    /// Every template with its key, for lint and for the secrets a check needs.
    pub fn fields(&self) -> Vec<(&'static str, &Template)> {
        [
            ("region", &self.region),
            ("access_key_id", &self.access_key_id),
            ("secret_access_key", &self.secret_access_key),
            ("session_token", &self.session_token),
        ]
        .into_iter()
        .filter_map(|(k, t)| t.as_ref().map(|t| (k, t)))
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.fields().is_empty()
    }
}

/// Which object store an `object_store` check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectStore {
    S3,
}

/// At least `min_objects` objects under a prefix (a sink connector's files).
#[derive(Debug, Clone)]
pub struct ObjectStoreCheck {
    pub store: ObjectStore,
    pub bucket: Template,
    pub prefix: Template,
    /// Only keys ending with this count (e.g. `.avro`).
    pub suffix: Option<String>,
    pub min_objects: u64,
}

/// Which warehouse a `warehouse_rows` check queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warehouse {
    Redshift,
}

/// A query in the warehouse returns enough rows (and optionally a matching first value).
#[derive(Debug, Clone)]
pub struct WarehouseRowsCheck {
    pub warehouse: Warehouse,
    pub cluster: Template,
    pub database: Template,
    pub db_user: Template,
    pub query: Template,
    pub min_rows: u64,
    /// Regular expression the first column of the first row must match.
    pub matches: Option<String>,
}

/// A tag `key = value` resources were created with.
#[derive(Debug, Clone)]
pub struct TagFilter {
    pub key: Template,
    pub value: Template,
}

/// Teardown left nothing: each named resource is gone, and the resource ledger is empty.
#[derive(Debug, Clone, Default)]
pub struct NoLeftoversCheck {
    /// A Confluent environment id that must be gone.
    pub confluent_environment: Option<Template>,
    /// S3 buckets that must be gone.
    pub buckets: Vec<Template>,
    /// Redshift clusters that must be gone.
    pub redshift_clusters: Vec<Template>,
    /// No EC2 instance with this tag may be in a state other than terminated or shutting-down.
    pub instances_tagged: Option<TagFilter>,
}

impl NoLeftoversCheck {
    /// Every template with the key it came from.
    pub fn templates(&self) -> Vec<(&'static str, &Template)> {
        let mut all = Vec::new();
        if let Some(t) = &self.confluent_environment {
            all.push(("confluent_environment", t));
        }
        all.extend(self.buckets.iter().map(|t| ("buckets", t)));
        all.extend(
            self.redshift_clusters
                .iter()
                .map(|t| ("redshift_clusters", t)),
        );
        if let Some(tag) = &self.instances_tagged {
            all.push(("instances_tagged.key", &tag.key));
            all.push(("instances_tagged.value", &tag.value));
        }
        all
    }
}
