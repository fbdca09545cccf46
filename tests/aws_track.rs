//! The shipped AWS track headless (`run --yes --format json`) against the test world: the
//! Confluent stand-in and its Kafka, real PostgreSQL and MariaDB seeded with the course's own
//! scripts, and the Terraform modules' outputs replayed through the documented test seam.
//!
//! It covers welcome, prerequisites, the Confluent lesson, Oracle (its records played by the
//! test, as no Oracle database can run here), the database VM, MySQL CDC and PostgreSQL CDC
//! (with their end-to-end markers), Salesforce (its OAuth endpoint played by the test), Flink
//! SQL (run by the stand-in on the records the connectors wrote), the Data Portal tags and the
//! lineage, the S3 sink (the stand-in's connector writes Avro files to moto's S3) and the
//! Redshift sink (moto answers the Data API with what the sink would have loaded), the
//! three-connector Oracle side quest, then teardown and the teardown lesson's `no_leftovers`
//! check. Only the optional OpenAI component is left out: the stand-in's Flink does not call
//! models.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/course.rs"]
mod course;
#[path = "support/databases.rs"]
mod databases;
#[path = "support/moto.rs"]
mod moto;

use std::path::Path;

use cli::{Home, of_type};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_track_runs_from_welcome_to_lineage_then_tears_down_with_every_check_passing_in_order()
 {
    let Some(world) = course::CourseWorld::start().await else {
        return;
    };
    if !cli::terraform_on_path("the prerequisites lesson asks terraform for its version") {
        return;
    }
    // The Oracle connector's records (no Oracle database can run here).
    world.play_oracle();
    let home = Home::with_lessons(Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons"));
    let mut args = vec![
        "run".to_string(),
        "--track".into(),
        "aws".into(),
        "--components".into(),
        "oracle,oracle-three,mysql,postgres,salesforce,flink,s3,redshift".into(),
        "--to".into(),
        "lineage".into(),
        "--yes".into(),
        "--format".into(),
        "json".into(),
    ];
    for setting in world.course_settings() {
        args.push("--set".into());
        args.push(setting);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = home.command(&args);
    cmd.envs(world.guide_env());
    let ran = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let ran = cli::Ran(ran);
    let lines = ran.json_lines();
    let checks = of_type(&lines, "check_finished");
    let failed: Vec<_> = checks
        .iter()
        .filter(|c| c["report"]["verdict"] != "pass" && c["report"]["verdict"] != "warn")
        .collect();
    assert!(
        failed.is_empty(),
        "checks that did not pass: {failed:#?}\nstderr: {}",
        ran.stderr()
    );
    ran.assert_code(0);

    // In order: every lesson up to PostgreSQL CDC, Oracle and Salesforce left out.
    let lessons: Vec<&str> = of_type(&lines, "lesson_completed")
        .iter()
        .filter_map(|l| l["lesson"].as_str())
        .collect();
    assert_eq!(
        lessons,
        [
            "welcome",
            "prerequisites-aws",
            "confluent-cloud",
            "oracle-aws",
            "oracle-cdc",
            "oracle-cdc-three",
            "databases-aws",
            "mysql-cdc",
            "postgres-cdc",
            "salesforce-cdc",
            "flink-sql",
            "s3-sink-aws",
            "redshift-sink-aws",
            "data-portal",
            "lineage"
        ]
    );
    let passed = |id: &str| {
        checks
            .iter()
            .any(|c| c["check"] == id && c["report"]["verdict"] == "pass")
    };
    for id in [
        "cluster-ready",
        "oracle-ready",
        "oracle-running",
        "contacts-snapshot",
        "oracle-contact-arrived",
        "redo-topic",
        "salesforce-running",
        "contact-arrived",
        "oracle-mycontacts-rows",
        "mysql-mycontacts-rows",
        "postgres-mycontacts-rows",
        "all-contacts-running",
        "carsten-duplicates",
        "all-products-rows",
        "masked",
        "dedup-running",
        "dedup-carsten",
        "main-paused",
        "three-running",
        "redo2-has-updates",
        "main-running-again",
        "bucket-empty",
        "s3-running",
        "s3-files",
        "new-products-in-topic",
        "redshift-answers",
        "redshift-running",
        "contacts-in-redshift",
        "lena-in-redshift",
        "pipeline-running",
        "contacts-schema",
        "dbs-ready",
        "mysql-accounts",
        "postgres-wal",
        "accounts-snapshot",
        "mysql-marker-arrived",
        "mysql-duplicates-arrived",
        "products-snapshot",
        "postgres-slot",
        "postgres-marker-arrived",
        "sales-flowing",
    ] {
        assert!(passed(id), "check {id} did not pass: {checks:#?}");
    }
    // The markers' latency is reported.
    let marker = checks
        .iter()
        .find(|c| c["check"] == "postgres-marker-arrived")
        .unwrap();
    assert!(
        marker["report"]["observed"]
            .as_str()
            .unwrap_or("")
            .contains("after it was written"),
        "{marker}"
    );
    // No secret of the world reached the output or the data folder.
    let out = ran.stdout();
    assert!(!out.contains(databases::PASSWORD));
    assert!(!out.contains(&world.seeded.flink_key.secret));

    // Teardown: what steps created through the API goes first, then the modules, newest first.
    let mut teardown = home.command(&["teardown", "--yes", "--format", "json"]);
    teardown.envs(world.guide_env());
    let ran = cli::Ran(
        tokio::task::spawn_blocking(move || teardown.output().unwrap())
            .await
            .unwrap(),
    );
    ran.assert_code(0);
    let lines = ran.json_lines();
    let finished = of_type(&lines, "teardown_finished");
    let finished = finished.last().expect("teardown finished");
    assert_eq!(finished["failed"], serde_json::json!([]), "{finished}");
    let destroyed = finished["destroyed"].as_array().unwrap();
    assert_eq!(
        destroyed.first().and_then(|d| d.as_str()),
        Some("aws-redshift"),
        "newest first: {finished}"
    );
    assert_eq!(
        destroyed.last().and_then(|d| d.as_str()),
        Some("confluent-cloud")
    );
    let deleted: Vec<String> = of_type(&lines, "api_delete")
        .iter()
        .filter(|e| e["status"] == "deleted")
        .filter_map(|e| e["name"].as_str().map(String::from))
        .collect();
    for connector in [
        "oracle21-cdc-connector",
        "oracle21-cdc-connector2",
        "S3_SINKConnector_0",
        "RedshiftSinkConnector_0",
        "MySqlCdcSourceV2Connector_0",
        "PostgresCdcSourceV2Connector_0",
        "SFCDC_contacts",
    ] {
        assert!(
            deleted.iter().any(|d| d == connector),
            "{connector} not deleted: {deleted:?}"
        );
    }
    world
        .standin
        .with_world(|w| assert!(w.connectors.is_empty()));
    // What the modules' real destroys do, the replay cannot: the test does it. The Confluent
    // environment goes; the bucket is emptied and deleted (the module sets force_destroy).
    world
        .standin
        .with_world(|w| w.environments.remove(&world.seeded.environment));
    // While the bucket is still there, the check names it.
    let mut early = home.command(&[
        "check",
        "teardown/nothing-left",
        "--format",
        "json",
        "--set",
        "owner_email=ann@example.com",
    ]);
    early.envs(world.guide_env());
    let ran = cli::Ran(
        tokio::task::spawn_blocking(move || early.output().unwrap())
            .await
            .unwrap(),
    );
    assert!(
        ran.stdout()
            .contains(&format!("S3 bucket {}", course::BUCKET)),
        "{}\n{}",
        ran.stdout(),
        ran.stderr()
    );
    assert_ne!(ran.code(), 0);
    let account = moto::Account::new(world.aws.scope());
    {
        use cdc_workshop::backend::aws::AwsApi;
        let listing = account
            .client
            .list_objects(&account.scope, course::BUCKET, "")
            .await
            .unwrap();
        assert!(
            listing
                .objects
                .iter()
                .any(|o| o.key.starts_with("topics/all_products/") && o.key.ends_with(".avro")),
            "the S3 sink wrote its files: {:?}",
            listing.objects.iter().map(|o| &o.key).collect::<Vec<_>>()
        );
        for object in &listing.objects {
            account.delete_object(course::BUCKET, &object.key).await;
        }
    }
    account.delete_bucket(course::BUCKET).await;

    // The teardown lesson's check proves nothing is left: the environment, EC2 instances with
    // the participant's tag (moto has none), and the ledger.
    let mut check_args = vec![
        "check".to_string(),
        "teardown/nothing-left".into(),
        "--format".into(),
        "json".into(),
    ];
    for setting in world.course_settings() {
        check_args.push("--set".into());
        check_args.push(setting);
    }
    let check_args: Vec<&str> = check_args.iter().map(String::as_str).collect();
    let mut check = home.command(&check_args);
    check.envs(world.guide_env());
    let ran = cli::Ran(
        tokio::task::spawn_blocking(move || check.output().unwrap())
            .await
            .unwrap(),
    );
    let out = ran.stdout();
    assert!(out.contains("\"pass\""), "{out}\n{}", ran.stderr());
    ran.assert_code(0);
    drop(world);
}
