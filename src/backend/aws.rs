//! AWS behind one small interface: the few read calls the guide's checks make (S3 objects and
//! buckets, Redshift Data API statements, Redshift clusters, EC2 instances by tag).
//!
//! Checks only see [`AwsApi`] and the domain types below; signing (SigV4), endpoints, the three
//! wire protocols (S3's REST/XML, the query protocol of EC2 and Redshift, JSON 1.1 of the Data
//! API) and error mapping live in the real client (`client`). Every call takes an [`AwsScope`]:
//! region, key and (for tests and rehearsals) one endpoint that replaces every AWS service.

pub mod client;
mod ec2;
pub mod error;
mod redshift;
mod s3;
pub mod sigv4;
mod xml;

use std::fmt;

use futures::future::BoxFuture;

use crate::credentials::Secret;

pub use client::AwsClient;
pub use error::{AwsError, AwsErrorKind};

/// Region, key and endpoint of one call. `Debug` never shows the secret or the token.
#[derive(Clone)]
pub struct AwsScope {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Set for temporary credentials (STS, SSO).
    pub session_token: Option<Secret>,
    /// One endpoint for every service (path-style S3), instead of the real per-region hosts.
    pub endpoint: Option<String>,
}

impl fmt::Debug for AwsScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsScope")
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token.as_ref().map(|_| "set"))
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Object {
    pub key: String,
    pub size: u64,
    /// As S3 writes it (ISO 8601, UTC), so sorting the text sorts by time.
    pub last_modified: String,
}

/// Every object under a prefix, up to [`client::MAX_LIST_PAGES`] pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectListing {
    pub objects: Vec<S3Object>,
    /// More objects exist than were read.
    pub truncated: bool,
}

/// Where a Redshift Data API statement runs (a provisioned cluster, temporary credentials for
/// the database user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedshiftTarget {
    pub cluster: String,
    pub database: String,
    pub db_user: String,
}

/// `DescribeStatement`: where a statement is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementInfo {
    /// SUBMITTED, PICKED, STARTED, FINISHED, FAILED, ABORTED (or whatever AWS adds).
    pub status: String,
    /// Redshift's error for a FAILED statement.
    pub error: Option<String>,
    pub has_result_set: bool,
}

/// `GetStatementResult`, first page: the row count and the first row as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementRows {
    pub total_rows: u64,
    pub first_row: Vec<String>,
}

/// An EC2 instance found by tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Instance {
    pub id: String,
    /// pending, running, shutting-down, terminated, stopping, stopped.
    pub state: String,
    /// Its `Name` tag, if any.
    pub name: Option<String>,
}

/// A Redshift cluster as `DescribeClusters` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedshiftCluster {
    pub id: String,
    /// creating, available, deleting, …
    pub status: String,
}

/// The calls the guide makes. None of them changes anything in the account (a Data API
/// statement runs the lesson's query, which is a read); every error is an [`AwsError`] whose
/// message is fit for the participant.
pub trait AwsApi: Send + Sync {
    /// `ListObjectsV2` under `prefix`, every page (continuation tokens) up to the cap.
    fn list_objects<'a>(
        &'a self,
        scope: &'a AwsScope,
        bucket: &'a str,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<ObjectListing, AwsError>>;

    /// `HeadBucket`: `false` when S3 answers 404, `true` when the bucket exists (also in
    /// another region).
    fn bucket_exists<'a>(
        &'a self,
        scope: &'a AwsScope,
        bucket: &'a str,
    ) -> BoxFuture<'a, Result<bool, AwsError>>;

    /// `ExecuteStatement`: the statement's id.
    fn execute_statement<'a>(
        &'a self,
        scope: &'a AwsScope,
        target: &'a RedshiftTarget,
        sql: &'a str,
    ) -> BoxFuture<'a, Result<String, AwsError>>;

    fn describe_statement<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<StatementInfo, AwsError>>;

    fn statement_result<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<StatementRows, AwsError>>;

    /// `DescribeInstances` filtered by one tag, every page.
    fn instances_tagged<'a>(
        &'a self,
        scope: &'a AwsScope,
        key: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Ec2Instance>, AwsError>>;

    /// `DescribeClusters` for one id; `None` when Redshift answers ClusterNotFound.
    fn redshift_cluster<'a>(
        &'a self,
        scope: &'a AwsScope,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<RedshiftCluster>, AwsError>>;
}
