//! `run`, `status`, `check` and `lint` as a script or a facilitator uses them.

#[path = "support/cli.rs"]
mod cli;

use std::io::Write;

use cli::{Home, of_type, write_course};

#[test]
fn run_walks_the_short_track_to_the_end_and_status_shows_it() {
    let home = Home::with_fixture();
    let ran = home.run(&["run", "--track", "short", "--yes", "--format", "json"]);
    ran.assert_code(0);
    let lines = ran.json_lines();

    let started: Vec<_> = of_type(&lines, "step_started")
        .iter()
        .map(|v| v["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        started,
        vec!["write-marker"],
        "the manual step is confirmed, not run"
    );
    let finished = of_type(&lines, "check_finished");
    let marker = finished
        .iter()
        .find(|v| v["check"] == "marker-written")
        .expect("marker check finished");
    assert_eq!(marker["report"]["verdict"], "pass");
    assert_eq!(marker["report"]["message"], "marker.txt says hello.");
    assert!(
        of_type(&lines, "log")
            .iter()
            .any(|v| v["stream"] == "guide" && v["text"].as_str().unwrap().starts_with("$ echo"))
    );
    assert_eq!(of_type(&lines, "lesson_completed").len(), 1);
    assert_eq!(
        std::fs::read_to_string(home.work_dir().join("marker.txt")).unwrap(),
        "hello\n"
    );

    let status = home.run(&["status"]);
    status.assert_code(0);
    let out = status.stdout();
    assert!(out.contains("1/1 lessons done"), "{out}");
    assert!(out.contains("first-steps"), "{out}");

    let json = home.run(&["status", "--format", "json"]).json_lines();
    assert_eq!(json[0]["track"], "short");
    assert_eq!(json[0]["lessons"][0]["state"], "done");

    // A second run has nothing left to do.
    let again = home.run(&["run"]);
    again.assert_code(0);
    assert!(
        !again.stdout().contains("Write the marker file"),
        "{}",
        again.stdout()
    );
}

#[test]
fn a_manual_step_without_yes_stops_and_the_next_run_resumes_there() {
    let home = Home::with_fixture();
    let first = home.run(&["run", "--track", "short"]);
    first.assert_code(1);
    assert!(
        first.stderr().contains("step `read-marker` needs you"),
        "{}",
        first.stderr()
    );
    assert!(first.stderr().contains("--yes"));

    // On resume the lesson's objectives are re-checked against the machine: the marker file the
    // first run wrote is there, so the lesson is complete without running anything again.
    let second = home.run(&["run", "--yes", "--format", "json"]);
    second.assert_code(0);
    let lines = second.json_lines();
    assert!(
        of_type(&lines, "step_started").is_empty(),
        "write-marker is not run again: {lines:?}"
    );
    let completed = of_type(&lines, "lesson_completed");
    assert_eq!(completed.len(), 1, "{lines:?}");
    assert_eq!(completed[0]["via"], "objectives");

    // Without the marker the objectives do not hold, and the manual step is what is left.
    let home = Home::with_fixture();
    home.run(&["run", "--track", "short"]).assert_code(1);
    std::fs::remove_file(home.work_dir().join("marker.txt")).unwrap();
    std::fs::write(home.work_dir().join("marker.txt"), "bye\n").unwrap();
    let third = home.run(&["run", "--yes", "--format", "json"]);
    let lines = third.json_lines();
    assert!(
        of_type(&lines, "step_started").is_empty(),
        "write-marker stays done: {lines:?}"
    );
    assert_eq!(of_type(&lines, "step_confirmed").len(), 1, "{lines:?}");
    third.assert_code(0);
}

#[test]
fn a_failing_step_stops_the_run_with_its_message_and_hint() {
    let lessons = tempfile::tempdir().unwrap();
    write_course(
        lessons.path(),
        "```lesson\nid = \"one\"\ntitle = \"One\"\nestimate = \"1m\"\n```\n\n# One\n\n```step\nid = \"boom\"\ntitle = \"Fail on purpose\"\nkind = \"shell\"\ncommand = \"echo about to fail >&2; exit 3\"\n```\n\n```hint\nafter_failures = 1\ntext = \"Exit code 3 means the thing is missing.\"\n```\n",
    );
    let home = Home::with_lessons(lessons.path().to_path_buf());
    let ran = home.run(&["run", "--track", "only"]);
    ran.assert_code(1);
    let err = ran.stderr();
    assert!(err.contains("step `boom` did not complete"), "{err}");
    assert!(
        err.contains("about to fail"),
        "the last stderr line is in the message: {err}"
    );
    assert!(
        err.contains("hint: Exit code 3 means the thing is missing."),
        "{err}"
    );
    assert!(ran.stdout().contains("│ about to fail"), "{}", ran.stdout());

    let status = home.run(&["status"]).stdout();
    assert!(
        status.contains("boom") && status.contains("failed"),
        "{status}"
    );
    assert!(
        status.contains("1 failure(s)") && status.contains("1 hint(s) shown"),
        "{status}"
    );
}

#[test]
fn ctrl_c_interrupts_the_running_step_gracefully_and_resume_knows() {
    let lessons = tempfile::tempdir().unwrap();
    write_course(
        lessons.path(),
        "```lesson\nid = \"one\"\ntitle = \"One\"\nestimate = \"1m\"\n```\n\n```step\nid = \"slow\"\ntitle = \"Slow\"\nkind = \"shell\"\ncommand = \"trap 'echo stopping; exit 130' INT; echo started; sleep 30 & wait\"\n```\n",
    );
    let home = Home::with_lessons(lessons.path().to_path_buf());
    let child = home
        .command(&["run", "--track", "only"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the step has really started (its first line is journaled by then).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let started = home.path().join("runs/current").exists()
            && std::fs::read_to_string(home.journal())
                .unwrap_or_default()
                .contains("step_started");
        if started {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the step never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("stopping"),
        "the step's own trap ran: {stdout}"
    );
    let status = home.run(&["status"]).stdout();
    assert!(status.contains("interrupted"), "{status}");
}

#[test]
fn check_probes_named_checks_and_names_unknown_ones() {
    let home = Home::with_fixture();
    home.run(&["run", "--track", "short", "--yes"])
        .assert_code(0);
    let ok = home.run(&["check", "marker-written"]);
    ok.assert_code(0);
    assert!(
        ok.stdout()
            .starts_with("PASS  first-steps/marker-written: "),
        "{}",
        ok.stdout()
    );

    let json = home
        .run(&["check", "first-steps/shell-available", "--format", "json"])
        .json_lines();
    assert_eq!(json[0]["verdict"], "pass");

    std::fs::remove_file(home.work_dir().join("marker.txt")).unwrap();
    let failed = home.run(&["check", "marker-written"]);
    failed.assert_code(1);
    assert!(
        failed
            .stdout()
            .starts_with("FAIL  first-steps/marker-written"),
        "{}",
        failed.stdout()
    );

    let unknown = home.run(&["check", "nope"]);
    unknown.assert_code(2);
    assert!(
        unknown
            .stderr()
            .contains("no check `nope`; known checks: first-steps/shell-available"),
        "{}",
        unknown.stderr()
    );
}

#[test]
fn lint_passes_the_fixture_and_reports_file_line_for_broken_lessons() {
    let home = Home::with_fixture();
    let ok = home.run(&["lint"]);
    ok.assert_code(0);
    assert!(ok.stderr().contains("no problems found"));

    let lessons = tempfile::tempdir().unwrap();
    write_course(
        lessons.path(),
        "```lesson\nid = \"one\"\ntitle = \"One\"\nestimate = \"1m\"\n```\n\n```step\nid = \"s\"\ntitle = \"S\"\nkind = \"shell\"\ncomand = \"true\"\n```\n",
    );
    let bad = Home::with_lessons(lessons.path().to_path_buf()).run(&["lint"]);
    bad.assert_code(1);
    let file = lessons.path().join("one.md");
    let out = bad.stdout();
    assert!(
        out.contains(&format!(
            "{}:7: step `s` is missing `command`",
            file.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}:11: unknown key `comand` in step `s`; did you mean `command`?",
            file.display()
        )),
        "{out}"
    );
    assert!(bad.stderr().contains("2 problem(s)"), "{}", bad.stderr());
}

#[test]
fn a_journal_cut_off_mid_write_is_reported_and_the_good_part_used() {
    let home = Home::with_fixture();
    home.run(&["run", "--track", "short", "--yes"])
        .assert_code(0);
    let journal = home.journal();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&journal)
        .unwrap();
    f.write_all(br#"{"seq":99,"ts_ms":1,"type":"step_sta"#)
        .unwrap();
    drop(f);
    let status = home.run(&["status"]);
    status.assert_code(0);
    assert!(
        status.stderr().contains(&format!("{}:", journal.display())),
        "{}",
        status.stderr()
    );
    assert!(status.stderr().contains("cut off"), "{}", status.stderr());
    assert!(
        status.stdout().contains("1/1 lessons done"),
        "{}",
        status.stdout()
    );
}

#[test]
fn usage_errors_exit_2_with_a_next_step() {
    let home = Home::with_fixture();
    let no_track = home.run(&["run"]);
    no_track.assert_code(2);
    assert!(
        no_track.stderr().contains("cdc-workshop run --track aws"),
        "{}",
        no_track.stderr()
    );

    let bad_track = home.run(&["run", "--track", "mars"]);
    bad_track.assert_code(2);
    assert!(
        bad_track
            .stderr()
            .contains("unknown track `mars`; choose one of: local, short"),
        "{}",
        bad_track.stderr()
    );

    let no_run = home.run(&["status"]);
    no_run.assert_code(2);
    assert!(no_run.stderr().contains("no workshop run yet"));

    let bad_var = home.run(&["run", "--track", "short", "--set", "nope=1"]);
    bad_var.assert_code(2);
    assert!(
        bad_var.stderr().contains("unknown variable `nope`"),
        "{}",
        bad_var.stderr()
    );
}

#[test]
fn the_guide_without_a_terminal_points_to_the_headless_commands() {
    let home = Home::with_fixture();
    let ran = home.run(&[]);
    ran.assert_code(2);
    assert!(
        ran.stderr().contains("needs an interactive terminal"),
        "{}",
        ran.stderr()
    );
    assert!(
        ran.stderr().contains("cdc-workshop run"),
        "{}",
        ran.stderr()
    );
}

#[test]
fn kill_9_in_the_middle_of_a_step_loses_nothing_and_the_next_run_finishes() {
    let lessons = tempfile::tempdir().unwrap();
    write_course(
        lessons.path(),
        "```lesson\nid = \"one\"\ntitle = \"One\"\nestimate = \"1m\"\n```\n\n```step\nid = \"first\"\ntitle = \"First\"\nkind = \"shell\"\ncommand = \"echo first\"\n```\n\n```step\nid = \"slow\"\ntitle = \"Slow\"\nkind = \"shell\"\ncommand = \"echo started; sleep 2\"\n```\n",
    );
    let home = Home::with_lessons(lessons.path().to_path_buf());
    let mut child = home
        .command(&["run", "--track", "only"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !(home.path().join("runs/current").exists()
        && std::fs::read_to_string(home.journal())
            .unwrap_or_default()
            .contains("\"step\":\"slow\""))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow step never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is flushed on the way out
    child.wait().unwrap();

    let journal = std::fs::read_to_string(home.journal()).unwrap();
    for line in journal.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("damaged line ({e}): {line}"));
    }
    let status = home.run(&["status"]).stdout();
    assert!(
        status.contains("first") && status.contains("done"),
        "{status}"
    );

    let again = home.run(&["run", "--format", "json"]);
    again.assert_code(0);
    let lines = again.json_lines();
    let interrupted = of_type(&lines, "step_finished")
        .into_iter()
        .any(|v| v["step"] == "slow" && v["outcome"]["result"] == "interrupted");
    assert!(
        interrupted,
        "resume records the killed step as interrupted: {lines:?}"
    );
    let rerun: Vec<_> = of_type(&lines, "step_started")
        .iter()
        .map(|v| v["step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rerun, vec!["slow"], "only the interrupted step runs again");
}
