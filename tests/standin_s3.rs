//! S3 against a real moto server: the client's `PutObject` (signed, keys with `=` and `+` as
//! the S3 sink names its files), and the stand-in playing the S3 sink connector of the lesson
//! `s3-sink-aws`: Avro object container files of a topic's records in the bucket, a refused
//! write turning the connector FAILED, and a paused connector writing nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/moto.rs"]
mod moto;

use cdc_workshop::backend::aws::{AwsApi, AwsClient, AwsErrorKind};
use moto::{Account, Moto};

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
