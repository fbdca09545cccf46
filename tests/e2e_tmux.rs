//! The built binary in a real terminal (tmux): choose a track, run a step, watch its check
//! pass, open help, quit, come back to the same step; the terminal is restored every time.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "the tmux driver and the database setup fail the test loudly when a tool fails"
)]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/course.rs"]
mod course;
#[path = "support/databases.rs"]
mod databases;
#[path = "support/moto.rs"]
mod moto;

use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// A tmux server of our own (private socket) running one shell.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` (with the reason printed) when tmux is missing; under CI that is a failure.
    fn start(width: u16, height: u16) -> Option<Self> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var("CI").is_err(),
                "CI=true but tmux is not installed"
            );
            eprintln!("skipped: tmux is not installed (apt-get install tmux)");
            return None;
        }
        // One server per scenario: tests run in parallel, and a shared server would hand two
        // of them the same session.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let socket = format!("cdcw-e2e-{}-{n}", std::process::id());
        let t = Self { socket };
        t.tmux(&[
            "new-session",
            "-d",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "bash --norc --noprofile",
        ]);
        Some(t)
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    fn line(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "0", "-l", text]);
        self.keys(&["Enter"]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "0"])
    }

    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{text}` did not appear within {WAIT:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[track_caller]
    fn wait_gone(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while self.screen().contains(text) {
            assert!(
                Instant::now() < deadline,
                "`{text}` is still on screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The terminal is back to what the shell had: canonical mode, echo, main screen.
    #[track_caller]
    fn assert_restored(&self, marker: &str) {
        self.line(&format!("clear; stty -a | tr ' ' '\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo {marker}-$(tmux display -p 'alt#{{alternate_on}}' 2>/dev/null)"));
        // Wait for what only the output contains: the typed command line has `{marker}-$(`.
        let screen = self.wait_for(&format!("{marker}-alt"));
        assert!(
            screen.contains("icanon echo"),
            "raw mode was left on:\n{screen}"
        );
        assert!(
            !screen.contains("alt1"),
            "still on the alternate screen:\n{screen}"
        );
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn choose_a_track_run_a_step_quit_and_resume_on_the_same_step() {
    let Some(t) = Tmux::start(100, 30) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let start = format!(
        "export CDC_WORKSHOP_HOME={} CDC_WORKSHOP_LESSONS={} PS1='$ '; clear; {}; echo EXITED-$?",
        home.path().display(),
        cli::fixture_course().display(),
        cli::bin().display()
    );
    t.line(&start);
    t.wait_for("1 · Track");
    t.wait_for("Local machine");
    t.keys(&["Enter"]);
    t.wait_for("Step 1/2 · Write the marker file");
    t.keys(&["Enter"]);
    let screen = t.wait_for("✓ Check: marker.txt says hello — marker.txt says hello.");
    assert!(screen.contains("✓ 1 Write the marker file"), "{screen}");
    assert!(
        screen.contains("› ◌ 2 Read the marker"),
        "the next step is selected:\n{screen}"
    );

    t.keys(&["?"]);
    t.wait_for("Help · keys");
    t.wait_for("Run the selected step");
    t.keys(&["Escape"]);
    t.wait_gone("Help · keys");

    t.keys(&["q"]);
    t.wait_for("EXITED-0");
    t.assert_restored("FIRST");

    // Start again: the guide resumes the run on the step the participant was on.
    t.line(&format!("clear; {}; echo EXITED-$?", cli::bin().display()));
    let screen = t.wait_for("Read the marker");
    let screen = if screen.contains("› ◌ 2 Read the marker") {
        screen
    } else {
        t.wait_for("› ◌ 2 Read the marker")
    };
    assert!(screen.contains("✓ 1 Write the marker file"), "{screen}");
    assert!(
        !screen.contains("1 · Track"),
        "no welcome screen on resume:\n{screen}"
    );
    t.keys(&["q"]);
    t.wait_for("EXITED-0");
    t.assert_restored("SECOND");
}

#[test]
fn sigterm_while_a_step_runs_restores_the_terminal_and_records_the_interruption() {
    let Some(t) = Tmux::start(90, 28) else { return };
    let lessons = tempfile::tempdir().unwrap();
    cli::write_course(
        lessons.path(),
        "```lesson\nid = \"one\"\ntitle = \"One\"\nestimate = \"1m\"\n```\n\n```step\nid = \"slow\"\ntitle = \"A slow step\"\nkind = \"shell\"\ncommand = \"echo started; sleep 30\"\n```\n",
    );
    let home = tempfile::tempdir().unwrap();
    t.line(&format!(
        "export CDC_WORKSHOP_HOME={} CDC_WORKSHOP_LESSONS={} PS1='$ '; clear; {}; echo EXITED-$?",
        home.path().display(),
        lessons.path().display(),
        cli::bin().display()
    ));
    t.wait_for("› Only");
    t.keys(&["Enter"]);
    t.wait_for("A slow step");
    t.keys(&["Enter"]);
    t.wait_for("started");
    let shell = t
        .tmux(&["list-panes", "-F", "#{pane_pid}"])
        .trim()
        .to_string();
    let pid = Command::new("pgrep")
        .args(["-P", &shell, "-f", "cdc-workshop"])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    assert!(!pid.is_empty(), "found the guide's pid");
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    // SIGTERM is a clean shutdown: progress saved, status 0.
    t.wait_for("EXITED-0");
    t.assert_restored("TERM");

    let home_env = home.path().to_path_buf();
    let status = Command::new(cli::bin())
        .arg("status")
        .env("CDC_WORKSHOP_HOME", &home_env)
        .env("CDC_WORKSHOP_LESSONS", lessons.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("slow") && text.contains("interrupted"),
        "{text}"
    );
}

/// The Confluent fixture course in the real terminal against the stand-in: the connector's
/// checks go from pending to pass on screen, a Flink statement is edited in `$EDITOR` and the
/// edit is what runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_checks_pass_on_screen_and_an_edited_statement_is_submitted() {
    let Some(t) = Tmux::start(120, 42) else {
        return;
    };
    let standin = cdc_workshop::standin::StandIn::start(cdc_workshop::standin::Timings::default())
        .await
        .expect("stand-in");
    let s = standin.seed_workshop();
    let bootstrap = standin
        .start_kafka(std::time::Duration::from_millis(500))
        .expect("the stand-in's Kafka");
    let home = tempfile::tempdir().expect("temp dir");
    let env_file = home.path().join("env");
    let mut exports = format!(
        "export CDC_WORKSHOP_HOME={} CDC_WORKSHOP_LESSONS={}/tests/fixtures/course-confluent/lessons",
        home.path().display(),
        env!("CARGO_MANIFEST_DIR")
    );
    for (name, value) in s.guide_env(&standin.url()) {
        exports.push_str(&format!(" {name}='{value}'"));
    }
    exports.push_str(&format!(
        " CDC_WORKSHOP_KAFKA_BOOTSTRAP={bootstrap} CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL=plaintext"
    ));
    exports.push_str(" CDC_WORKSHOP_SECRET_DB_PASSWORD=pg-Pass-1\n");
    std::fs::write(&env_file, exports).expect("env file");
    let bin = cli::bin();
    tokio::task::spawn_blocking(move || {
        t.line(&format!(
            "source {}; export EDITOR='sed -i s/after.amount/after.amount*2/' PS1='$ '; clear; {}; echo EXITED-$?",
            env_file.display(),
            bin.display()
        ));
        t.wait_for("1 · Track");
        t.keys(&["Enter"]);
        t.wait_for("Step 1/2 · Confirm the environment is set up");
        t.keys(&["Enter"]);
        t.wait_for("✓ Check: The compute pool is provisioned");
        t.keys(&["Enter"]);
        // The connector provisions first: the check waits, then passes.
        t.wait_for("✓ The connector is running");
        let screen = t.wait_for("✓ The orders value schema is regis");
        assert!(screen.contains("database.password = ••••"), "{screen}");
        assert!(!screen.contains("pg-Pass-1"), "{screen}");

        // The live panels: the connector's topic fills with decoded change events, the
        // connector runs, the lineage draws the pipeline. Topics are known once the lineage
        // has been polled, so `t` may need a moment.
        for _ in 0..20 {
            t.keys(&["t"]);
            std::thread::sleep(std::time::Duration::from_millis(500));
            if t.screen().contains("Topic · postgres.public.orders") {
                break;
            }
        }
        // Newest first: the stand-in's connector has been inserting a row every half second.
        let screen = t.wait_for("insert public.orders {");
        assert!(screen.contains("rec/s"), "{screen}");
        assert!(screen.contains("0 dropped"), "{screen}");
        t.keys(&["v"]);
        t.wait_for("Connectors · v switches");
        t.wait_for("source RUNNING      tasks 1/1");
        t.keys(&["v"]);
        t.wait_for("Lineage · v switches");
        t.keys(&["z"]);
        let screen = t.wait_for("pg_cc_source");
        assert!(screen.contains("postgres pg.example"), "{screen}");
        assert!(screen.contains("public.orders"), "{screen}");
        t.keys(&["z", "v"]);
        t.wait_for("Course · live");

        t.keys(&["n"]);
        t.wait_for("Step 1/3 · Create the table for cleaned orders");
        t.keys(&["Enter"]);
        t.wait_for("✓ 1 Create the table for cleaned");
        // Step 2 is selected next; edit it, then run it.
        t.wait_for("› ◌ 2 Copy orders into the clean");
        t.keys(&["e"]);
        t.wait_for("saved your edit of `clean-insert`");
        t.keys(&["Enter"]);
        t.wait_for("✓ The insert statement runs");
        // The selection moves on; back on step 2 its log shows what was submitted.
        t.keys(&["k"]);
        let screen = t.wait_for("using your edited statement");
        assert!(screen.contains("after.amount*2"), "the edited statement ran:\n{screen}");
        t.keys(&["q"]);
        t.wait_for("EXITED-0");
        t.assert_restored("CONFLUENT");
    })
    .await
    .expect("the tmux scenario");
    drop(standin);
}

/// The shipped course's Confluent lesson in the real terminal: the Terraform step replays what
/// the `confluent-cloud` module's apply outputs (the test seam), its ids and keys flow through
/// `[confluent]` into every check, and the Flink statement proves the stored Flink key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confluent_lesson_provisions_and_every_check_passes_with_the_modules_outputs() {
    let Some(t) = Tmux::start(140, 45) else {
        return;
    };
    let standin = cdc_workshop::standin::StandIn::start(cdc_workshop::standin::Timings::default())
        .await
        .expect("stand-in");
    let s = standin.seed_workshop();
    let bootstrap = standin
        .start_kafka(std::time::Duration::from_millis(500))
        .expect("the stand-in's Kafka");
    standin
        .apply_confluent_module(&s, &cdc_workshop::assets::Assets::embedded())
        .expect("the module's topic and schema");
    let home = tempfile::tempdir().expect("temp dir");
    let replay = home.path().join("replay");
    std::fs::create_dir_all(&replay).expect("replay dir");
    std::fs::write(
        replay.join("confluent-cloud.json"),
        s.confluent_module_outputs(&standin.url(), &bootstrap)
            .to_string(),
    )
    .expect("replayed outputs");
    let env_file = home.path().join("env");
    let exports = format!(
        "export CDC_WORKSHOP_HOME={home} CDC_WORKSHOP_TEST_TERRAFORM_REPLAY={replay} \
         CDC_WORKSHOP_CONFLUENT_API_URL={url} CDC_WORKSHOP_METRICS_URL={url} \
         CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL=plaintext CDC_WORKSHOP_CREDENTIAL_STORE=file \
         CONFLUENT_CLOUD_API_KEY='{key}' CONFLUENT_CLOUD_API_SECRET='{secret}'\n",
        home = home.path().display(),
        replay = replay.display(),
        url = standin.url(),
        key = s.cloud_key.key,
        secret = s.cloud_key.secret,
    );
    std::fs::write(&env_file, exports).expect("env file");
    let bin = cli::bin();
    let ledger = home.path().join("terraform/ledger.json");
    let cluster = s.cluster.clone();
    tokio::task::spawn_blocking(move || {
        t.line(&format!(
            "source {}; export PS1='$ '; clear; {} --set owner_email=ann@example.com; echo EXITED-$?",
            env_file.display(),
            bin.display()
        ));
        t.wait_for("1 · Track");
        t.keys(&["Enter"]);
        t.wait_for("lesson 1/");
        t.keys(&["n"]);
        t.wait_for("lesson 2/");
        t.keys(&["n"]);
        t.wait_for("Step 1/3 · Work out the resources' expiry date");
        // The command keeps its lines and their indentation.
        let screen = t.screen();
        assert!(screen.contains("│ │   case \"$days\" in"), "{screen}");
        assert!(screen.contains("│ │     ''|*[!0-9]*) echo"), "{screen}");
        t.keys(&["Enter"]);
        t.wait_for("✓ 1 Work out the resources' expiry");
        t.keys(&["Enter"]);
        t.wait_for("✓ Check: The Kafka cluster is provisioned");
        let screen = t.wait_for("✓ Check: Schema Registry holds the contacts schema");
        // The check's message shows the module's output, not the template.
        assert!(screen.contains("— Cluster cc_aws_cluster-1a2b is"), "{screen}");
        assert!(screen.contains("environment_id=env-"), "{screen}");
        assert!(screen.contains("confluent_cloud_api_secret = ••••"), "{screen}");
        t.keys(&["Enter"]);
        t.wait_for("✓ Check: The statement completed");
        t.keys(&["q"]);
        t.wait_for("EXITED-0");
        t.assert_restored("CONFLUENT");
    })
    .await
    .expect("the tmux scenario");
    // The replayed apply is in the ledger, with the secrets by name only.
    let recorded = std::fs::read_to_string(&ledger).expect("ledger");
    assert!(
        recorded.contains("\"module\": \"confluent-cloud\"")
            || recorded.contains("\"module\":\"confluent-cloud\""),
        "{recorded}"
    );
    assert!(recorded.contains(&cluster), "{recorded}");
    assert!(
        !recorded.contains(&s.flink_key.secret),
        "a secret reached the ledger"
    );
    drop(standin);
}

/// An env file for the guide in `world` with its data in `home` (and `extra` settings such as
/// the lessons folder), and the shell line that starts the guide with the course's settings.
fn guide_in(
    world: &course::CourseWorld,
    home: &std::path::Path,
    extra: &[(&str, String)],
) -> String {
    let env_file = home.join("env");
    let mut exports = format!("export CDC_WORKSHOP_HOME={}", home.display());
    let vars = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain(world.guide_env());
    for (name, value) in vars {
        exports.push_str(&format!(" {name}='{value}'"));
    }
    exports.push('\n');
    std::fs::write(&env_file, exports).expect("env file");
    let settings: String = world
        .course_settings()
        .iter()
        .map(|s| format!(" --set {s}"))
        .collect();
    format!(
        "source {}; export PS1='$ '; clear; {}{settings}; echo EXITED-$?",
        env_file.display(),
        cli::bin().display()
    )
}

/// The shipped course through the prerequisites, the Confluent lesson, the database lesson and
/// the PostgreSQL CDC lesson, in the real terminal, against the stand-in and REAL PostgreSQL 15
/// and MariaDB seeded with the course's own seed scripts. The Terraform steps replay what the
/// modules would output for these machines; the stand-in plays the CDC connector against the
/// real PostgreSQL, so the marker row the guide writes is found in its topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_postgres_lesson_carries_a_marker_row_from_a_real_database_to_its_topic() {
    let Some(t) = Tmux::start(140, 45) else {
        return;
    };
    let Some(world) = course::CourseWorld::start().await else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let launch = guide_in(&world, home.path(), &[]);
    tokio::task::spawn_blocking(move || {
        t.line(&launch);
        t.wait_for("1 · Track");
        t.keys(&["Enter"]);
        // Welcome: acknowledge the costs.
        t.wait_for("lesson 1/");
        t.keys(&["Enter"]);
        t.wait_for("✓ 1 Acknowledge the costs");
        t.keys(&["n"]);
        t.wait_for("lesson 2/");
        // Prerequisites: every step in order (manual ones are confirmed with ↵).
        for done in [
            "✓ 1 Create a Confluent Cloud API",
            "✓ 2 Check the key against",
            "✓ 3 Create an AWS access key",
            "✓ 4 Create an EC2 key pair",
            "✓ 5 Find your public IP address",
            "✓ 6 Prepare a Salesforce",
            "✓ 7 Check the Terraform version",
        ] {
            t.keys(&["Enter"]);
            t.wait_for(done);
        }
        t.keys(&["n"]);
        t.wait_for("lesson 3/");
        for done in [
            "✓ 1 Work out the resources'",
            "✓ 2 Create the Confluent Cloud",
            "✓ 3 Create the salesforce_myleads",
        ] {
            t.keys(&["Enter"]);
            t.wait_for(done);
        }
        // On to the database lesson (Oracle's two lessons are not part of this scenario).
        t.keys(&["n", "n", "n"]);
        t.wait_for("Step 1/2 · Create the MySQL and PostgreSQL VM");
        t.keys(&["Enter"]);
        // The steps pane lists each check of the step.
        t.wait_for("✓ Both containers are up and seeded");
        t.wait_for("✓ MySQL: demo.accounts has its 7 rows");
        t.wait_for("✓ MySQL: the binary log is on");
        t.wait_for("✓ PostgreSQL: the 8 tables exist");
        t.wait_for("✓ PostgreSQL: 100 products are loaded");
        t.wait_for("✓ PostgreSQL: wal_level is logical");
        t.keys(&["Enter"]);
        t.wait_for("a007");
        t.keys(&["n", "n"]);
        t.wait_for("Step 1/3 · Create the PostgreSQL CDC source connector");
        t.keys(&["Enter"]);
        let screen = t.wait_for("✓ The PostgreSQL connector is RUNNING");
        assert!(!screen.contains(databases::PASSWORD), "{screen}");
        t.wait_for("✓ A topic for each of the 8 tables");
        t.wait_for("✓ The 100 products arrived");
        let screen = t.wait_for("✓ PostgreSQL: the replication slot an");
        assert!(!screen.contains(databases::PASSWORD), "{screen}");
        t.keys(&["Enter"]);
        t.wait_for("✓ The marker status name arrived in");
        // The check's observation names the topic and the latency.
        let screen = t.wait_for("reached postgres.public.status_name");
        assert!(screen.contains("s after it was"), "{screen}");
        t.keys(&["q"]);
        t.wait_for("EXITED-0");
        t.assert_restored("POSTGRES");
    })
    .await
    .expect("the tmux scenario");
    drop(world);
}

/// The Flink SQL lesson in the real terminal, on the records the sources really produced: the
/// run is brought up to the lesson headless (`run --to postgres-cdc`, the same journal the
/// guide then resumes), then every statement is submitted from the guide, its checks pass on
/// screen, and the lineage panel draws the merged pipeline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flink_lesson_shapes_merges_masks_and_deduplicates_what_the_sources_wrote() {
    let Some(t) = Tmux::start(140, 45) else {
        return;
    };
    let Some(world) = course::CourseWorld::start().await else {
        return;
    };
    world.play_oracle();
    let home = tempfile::tempdir().expect("temp dir");
    let lessons = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons");
    let settings = world.course_settings();
    let mut run = std::process::Command::new(cli::bin());
    run.args([
        "run",
        "--track",
        "aws",
        "--components",
        "oracle,mysql,postgres,flink",
        "--to",
        "postgres-cdc",
        "--yes",
        "--format",
        "json",
    ])
    .env("CDC_WORKSHOP_HOME", home.path())
    .env("CDC_WORKSHOP_LESSONS", &lessons)
    .envs(world.guide_env());
    for s in &settings {
        run.args(["--set", s]);
    }
    let out = tokio::task::spawn_blocking(move || run.output().expect("run"))
        .await
        .expect("run");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let launch = guide_in(
        &world,
        home.path(),
        &[("CDC_WORKSHOP_LESSONS", lessons.display().to_string())],
    );
    tokio::task::spawn_blocking(move || {
        t.line(&launch);
        // The guide resumes the run; the Flink lesson is next.
        t.wait_for("steps done");
        t.keys(&["n"]);
        t.wait_for("Step 1/19 · Create salesforce_mycontacts");
        let done = |screen: &str| -> u32 {
            let at = screen.find(" steps done").expect("the header counts steps");
            let head = &screen[..at];
            let slash = head.rfind('/').expect("done/total");
            let start = head[..slash]
                .rfind(|c: char| !c.is_ascii_digit())
                .map_or(0, |i| i + 1);
            head[start..slash].parse().expect("a count")
        };
        for step in 1..=19 {
            let before = done(&t.screen());
            t.keys(&["Enter"]);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
            loop {
                let screen = t.screen();
                if done(&screen) > before {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "step {step} of the Flink lesson did not complete:\n{screen}"
                );
                std::thread::sleep(std::time::Duration::from_millis(300));
            }
        }
        t.keys(&["v"]);
        for _ in 0..4 {
            if t.screen().contains("Lineage · v switches") {
                break;
            }
            t.keys(&["v"]);
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        t.keys(&["z"]);
        let screen = t.wait_for("all_contacts");
        assert!(screen.contains("mysql_mycontacts"), "{screen}");
        t.keys(&["z", "q"]);
        t.wait_for("EXITED-0");
        t.assert_restored("FLINK");
    })
    .await
    .expect("the tmux scenario");
    drop(world);
}
