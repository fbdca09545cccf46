//! The AWS checks of the fixture course against a real moto server: objects arriving under a
//! prefix, a refused key, Redshift Data API statements that run, finish and fail, and the
//! teardown proof naming what is left until it is gone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/confluent.rs"]
mod confluent;
#[path = "support/moto.rs"]
mod moto;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cdc_workshop::backend::aws::AwsClient;
use cdc_workshop::backend::confluent::client::ConfluentClient;
use cdc_workshop::ledger::{AppliedModule, Ledger, ResourceChange};
use cdc_workshop::lesson::source::LessonSource;
use cdc_workshop::lesson::template::{Template, TemplateContext};
use cdc_workshop::lesson::{
    CheckSpec, ConfluentContext, ContextField, Course, NoLeftoversCheck, load_course,
};
use cdc_workshop::redact::Redactor;
use cdc_workshop::runner::aws::AwsRunner;
use cdc_workshop::runner::check::run_check;
use cdc_workshop::runner::clock::SystemClock;
use cdc_workshop::runner::confluent::{ConfluentEndpoints, ConfluentRunner};
use cdc_workshop::runner::leftovers::Leftovers;
use cdc_workshop::runner::outcome::Verdict;
use cdc_workshop::runner::probe::LiveProber;
use cdc_workshop::runner::{ProbeContext, Prober};
use cdc_workshop::standin::Timings;
use futures::StreamExt;
use moto::{Account, Moto};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const BUCKET: &str = "cmcdc-workshop-1a2b";
const CLUSTER: &str = "cdcworkshop-cluster-1a2b";
const INSTANCE: &str = "cdcworkshop-oracle21c-1a2b";

fn course() -> Course {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/course-aws/lessons");
    load_course(&LessonSource::directory(dir)).unwrap()
}

#[derive(Default, Clone)]
struct Vals(HashMap<String, String>);

impl TemplateContext for Vals {
    fn output(&self, _: &str, _: &str) -> Option<String> {
        None
    }
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(&format!("vars.{name}")).cloned()
    }
    fn secret(&self, name: &str) -> Option<String> {
        self.0.get(&format!("secrets.{name}")).cloned()
    }
}

/// The fixture course's checks, probed as the app probes them, with one key.
struct Rig {
    course: Course,
    runner: Arc<AwsRunner>,
    prober: LiveProber,
    ctx: ProbeContext,
    _work: tempfile::TempDir,
}

fn rig(moto: &Moto, key: &str, secret: &str) -> Rig {
    let course = course();
    let mut values = HashMap::new();
    for decl in &course.variables {
        if let Some(d) = &decl.default {
            values.insert(format!("vars.{}", decl.name), d.clone());
        }
    }
    values.insert("secrets.aws_access_key_id".into(), key.to_string());
    values.insert("secrets.aws_secret_access_key".into(), secret.to_string());
    let redactor = Redactor::new();
    let runner = Arc::new(AwsRunner::new(
        Arc::new(AwsClient::new().unwrap()),
        course.aws.clone(),
        Some(moto.url.clone()),
        redactor.clone(),
    ));
    let work = tempfile::tempdir().unwrap();
    Rig {
        prober: LiveProber::new().unwrap().with_aws(Arc::clone(&runner)),
        runner,
        ctx: ProbeContext {
            values: Arc::new(Vals(values)),
            // Deliberately empty: no secret may reach an observation even unredacted.
            redactor: Redactor::new(),
            work_dir: work.path().to_path_buf(),
        },
        course,
        _work: work,
    }
}

impl Rig {
    fn spec(&self, lesson: &str, id: &str) -> CheckSpec {
        let lesson = self.course.lesson(lesson).unwrap();
        lesson.checks().find(|c| c.id == id).unwrap().spec.clone()
    }

    async fn probe(&self, lesson: &str, id: &str) -> (Verdict, String) {
        let spec = self.spec(lesson, id);
        let obs = self.prober.probe(&spec.kind, &self.ctx).await;
        (obs.verdict, obs.observed)
    }

    /// The check run to its end, and the verdict of every attempt.
    async fn run(&self, spec: &CheckSpec) -> (Verdict, String, Vec<Verdict>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let mut on_attempt = move |a: cdc_workshop::runner::outcome::CheckAttempt| {
            record.lock().unwrap().push(a.observation.verdict);
        };
        let report = run_check(
            spec,
            &self.prober,
            &self.ctx,
            &SystemClock,
            CancellationToken::new(),
            &mut on_attempt,
        )
        .await;
        let attempts = seen.lock().unwrap().clone();
        (report.verdict, report.message, attempts)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avro_files_appearing_under_the_prefix_take_the_check_from_pending_to_pass() {
    let Some(moto) = Moto::start() else { return };
    let rig = rig(&moto, moto::ANY_KEY_ID, moto::ANY_SECRET);
    let account = Account::new(moto.scope());

    let (verdict, seen) = rig.probe("sinks", "objects").await;
    assert_eq!(verdict, Verdict::Fail, "{seen}");
    assert!(seen.contains("NoSuchBucket"), "{seen}");

    account.create_bucket(BUCKET).await;
    assert_eq!(
        rig.probe("sinks", "objects").await,
        (
            Verdict::Pending,
            format!(
                "no `*.avro` object(s) under s3://{BUCKET}/topics/all_products/ yet, waiting for 2"
            )
        )
    );

    // Only .avro files under the prefix count; a file elsewhere and a JSON file do not.
    account
        .put_object(BUCKET, "topics/all_products/year=2026/part-0.avro")
        .await;
    account
        .put_object(BUCKET, "topics/all_products/year=2026/part-0.json")
        .await;
    account
        .put_object(BUCKET, "topics/all_contacts/part-9.avro")
        .await;
    let (verdict, seen) = rig.probe("sinks", "objects").await;
    assert_eq!(verdict, Verdict::Pending);
    assert!(seen.starts_with("1 `*.avro` object(s)"), "{seen}");
    assert!(
        seen.ends_with("waiting for 2; newest: topics/all_products/year=2026/part-0.avro"),
        "{seen}"
    );

    // The check, run to its end, waits until the second file arrives.
    let late = Account::new(moto.scope());
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(600)).await;
        late.put_object(BUCKET, "topics/all_products/year=2026/part-1.avro")
            .await;
    });
    let (verdict, message, attempts) = rig.run(&rig.spec("sinks", "objects")).await;
    writer.await.unwrap();
    assert_eq!(verdict, Verdict::Pass, "{message}");
    assert_eq!(attempts.first(), Some(&Verdict::Pending), "{attempts:?}");
    assert!(
        message
            .contains("2 `*.avro` object(s) under s3://cmcdc-workshop-1a2b/topics/all_products/"),
        "{message}"
    );
    assert!(message.contains("part-1.avro"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_follows_continuation_tokens_past_one_page() {
    let Some(moto) = Moto::start() else { return };
    let account = Arc::new(Account::new(moto.scope()));
    account.create_bucket(BUCKET).await;
    // S3 pages by 1,000 keys: 1,005 objects need a second page.
    futures::stream::iter(0..1005)
        .map(|i| {
            let account = Arc::clone(&account);
            async move {
                account
                    .put_object(BUCKET, &format!("topics/all_products/part-{i:04}.avro"))
                    .await;
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let rig = rig(&moto, moto::ANY_KEY_ID, moto::ANY_SECRET);
    let (verdict, seen) = rig.probe("sinks", "objects").await;
    assert_eq!(verdict, Verdict::Pass);
    assert!(seen.starts_with("1005 `*.avro` object(s)"), "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_key_fails_with_what_to_do_and_the_right_one_passes() {
    // The first three requests create an IAM user, its policy and its key; from then on moto
    // checks every key and signature.
    let Some(moto) = Moto::start_with_auth(3) else {
        return;
    };
    let (key, secret) = Account::new(moto.scope())
        .iam_user_with_key("workshop")
        .await;
    let account = Account::new(moto.scope_with(&key, &secret));
    account.create_bucket(BUCKET).await;
    account
        .put_object(BUCKET, "topics/all_products/a.avro")
        .await;
    account
        .put_object(BUCKET, "topics/all_products/b.avro")
        .await;

    let (verdict, seen) = rig(&moto, &key, &secret).probe("sinks", "objects").await;
    assert_eq!(
        verdict,
        Verdict::Pass,
        "our signature passes moto's check: {seen}"
    );

    let wrong_secret = "wJalrXUtnFEMI-not-the-right-one";
    let (verdict, seen) = rig(&moto, &key, wrong_secret)
        .probe("sinks", "objects")
        .await;
    assert_eq!(verdict, Verdict::Fail);
    assert!(
        seen.starts_with("AWS rejected the key (SignatureDoesNotMatch"),
        "{seen}"
    );
    assert!(
        seen.contains("check it with `cdc-workshop credentials list`"),
        "{seen}"
    );
    assert!(
        !seen.contains(wrong_secret) && !seen.contains(&secret),
        "{seen}"
    );

    let (verdict, seen) = rig(&moto, "AKIAUNKNOWNKEY000000", &secret)
        .probe("sinks", "objects")
        .await;
    assert_eq!(verdict, Verdict::Fail);
    assert!(
        seen.starts_with("AWS rejected the key (InvalidAccessKeyId"),
        "{seen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redshift_query_is_pending_while_it_runs_then_passes_or_fails_on_its_rows() {
    let Some(moto) = Moto::start() else { return };
    let rig = rig(&moto, moto::ANY_KEY_ID, moto::ANY_SECRET);
    let at = format!("{CLUSTER}/cdcworkshop_rsdb_1a2b");

    // moto's statements run until a result is queued: the query is still running.
    assert_eq!(
        rig.probe("sinks", "rows").await,
        (
            Verdict::Pending,
            format!("the query on {at} is STARTED (still running)")
        )
    );
    // The next attempt follows the same statement; it finishes with one row of the two needed.
    moto.seed_statement_results(json!([{"status": "FINISHED", "records": [[{"longValue": 101}]]}]))
        .await;
    assert_eq!(
        rig.probe("sinks", "rows").await,
        (
            Verdict::Pending,
            format!("1 row(s) from {at}, waiting for 2")
        )
    );
    // A fresh statement: three rows, the first matching `^[0-9]+$`.
    moto.seed_statement_results(json!([{"status": "FINISHED", "records": [
        [{"longValue": 101}], [{"longValue": 102}], [{"longValue": 103}]]}]))
        .await;
    assert_eq!(
        rig.probe("sinks", "rows").await,
        (
            Verdict::Pass,
            format!("3 row(s) from {at}, first value 101")
        )
    );
    moto.seed_statement_results(json!([{"status": "FINISHED", "records": [
        [{"stringValue": "Carsten"}], [{"stringValue": "Suvad"}]]}]))
        .await;
    let (verdict, seen) = rig.probe("sinks", "rows").await;
    assert_eq!(verdict, Verdict::Pending);
    assert!(
        seen.ends_with("first value Carsten, waiting for one matching ^[0-9]+$"),
        "{seen}"
    );

    moto.seed_statement_results(json!([{"status": "FAILED",
        "error": "ERROR: relation \"all_contacts\" does not exist"}]))
        .await;
    assert_eq!(
        rig.probe("sinks", "rows").await,
        (
            Verdict::Fail,
            format!("the query on {at} FAILED: ERROR: relation \"all_contacts\" does not exist")
        )
    );

    // Run to its deadline with never more than one row, the check fails and says why.
    let one_row: Vec<_> = (0..40)
        .map(|_| json!({"status": "FINISHED", "records": [[{"longValue": 7}]]}))
        .collect();
    moto.seed_statement_results(json!(one_row)).await;
    let mut spec = rig.spec("sinks", "rows");
    spec.deadline = Duration::from_millis(1500);
    let (verdict, message, _) = rig.run(&spec).await;
    assert_eq!(verdict, Verdict::Fail);
    assert!(
        message.contains(&format!("last seen: 1 row(s) from {at}, waiting for 2")),
        "{message}"
    );
}

fn ledger_with(path: &std::path::Path, module: &str) {
    let mut ledger = Ledger::default();
    ledger.record_apply(AppliedModule {
        module: module.into(),
        lesson: "storage".into(),
        step: "bucket".into(),
        workspace: path.parent().unwrap().join(module),
        at_ms: 1,
        owner: "tester".into(),
        resources: vec![ResourceChange {
            addr: "aws_s3_bucket.bucket".into(),
            action: "create".into(),
            id: Some(BUCKET.into()),
        }],
        outputs: BTreeMap::new(),
        secret_outputs: BTreeMap::new(),
        vars: BTreeMap::new(),
    });
    ledger.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leftovers_names_the_bucket_instance_cluster_and_module_until_they_are_gone() {
    let Some(moto) = Moto::start() else { return };
    let rig = rig(&moto, moto::ANY_KEY_ID, moto::ANY_SECRET);
    let account = Account::new(moto.scope());
    account.create_bucket(BUCKET).await;
    account
        .put_object(BUCKET, "topics/all_products/a.avro")
        .await;
    let oracle = account.run_instance(INSTANCE).await;
    let someone_elses = account.run_instance("another-project").await;
    account.create_cluster(CLUSTER).await;
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.json");
    ledger_with(&ledger, "aws-s3");

    let spec = rig.spec("teardown", "nothing-left");
    let cdc_workshop::lesson::CheckKind::NoLeftovers(check) = &spec.kind else {
        panic!("not a no_leftovers check")
    };
    let leftovers = Leftovers {
        aws: Some(rig.runner.as_ref()),
        confluent: None,
        ledger: Some(&ledger),
    };
    let obs = leftovers.probe(check, &rig.ctx).await;
    assert_eq!(obs.verdict, Verdict::Fail);
    assert_eq!(
        obs.observed,
        format!(
            "left behind: S3 bucket {BUCKET}; Redshift cluster {CLUSTER} (available); EC2 instance {oracle} ({INSTANCE}, running); module aws-s3 in the ledger (1 resource(s)); run `cdc-workshop teardown`"
        )
    );
    assert!(!obs.observed.contains(&someone_elses));

    account
        .delete_object(BUCKET, "topics/all_products/a.avro")
        .await;
    account.delete_bucket(BUCKET).await;
    account.terminate_instance(&oracle).await;
    account.delete_cluster(CLUSTER).await;
    Ledger::default().save(&ledger).unwrap();
    let obs = leftovers.probe(check, &rig.ctx).await;
    assert_eq!(
        (obs.verdict, obs.observed),
        (
            Verdict::Pass,
            format!(
                "nothing left: bucket {BUCKET} gone, cluster {CLUSTER} gone, no live instance tagged Name={INSTANCE}, the ledger is empty"
            )
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_leftovers_asks_confluent_whether_the_environment_is_gone() {
    let w = confluent::world(Timings::default()).await;
    let context = ConfluentContext {
        fields: [
            (ContextField::CloudApiKey, "{{ secrets.cloud_key }}"),
            (ContextField::CloudApiSecret, "{{ secrets.cloud_secret }}"),
        ]
        .into_iter()
        .map(|(f, t)| (f, Template::parse(t).unwrap()))
        .collect(),
        pos: None,
    };
    let endpoints = ConfluentEndpoints {
        api_url: w.standin.url(),
        ..ConfluentEndpoints::default()
    };
    let runner = ConfluentRunner::new(
        Arc::new(ConfluentClient::new().unwrap()),
        context,
        endpoints,
        Redactor::new(),
    );
    let values = Vals(HashMap::from([
        (
            "secrets.cloud_key".to_string(),
            w.seeded.cloud_key.key.clone(),
        ),
        (
            "secrets.cloud_secret".to_string(),
            w.seeded.cloud_key.secret.clone(),
        ),
    ]));
    let work = tempfile::tempdir().unwrap();
    let ctx = ProbeContext {
        values: Arc::new(values),
        redactor: Redactor::new(),
        work_dir: work.path().to_path_buf(),
    };
    let leftovers = Leftovers {
        aws: None,
        confluent: Some(&runner),
        ledger: None,
    };
    let check = |env: &str| NoLeftoversCheck {
        confluent_environment: Some(Template::literal(env)),
        ..NoLeftoversCheck::default()
    };
    let env = w.seeded.environment.clone();
    let obs = leftovers.probe(&check(&env), &ctx).await;
    assert_eq!(obs.verdict, Verdict::Fail);
    assert_eq!(
        obs.observed,
        format!(
            "left behind: Confluent environment {env} ({})",
            w.seeded.environment_name
        )
    );
    let obs = leftovers.probe(&check("env-gone42"), &ctx).await;
    assert_eq!(
        (obs.verdict, obs.observed),
        (
            Verdict::Pass,
            "nothing left: environment env-gone42 gone".to_string()
        )
    );
}
