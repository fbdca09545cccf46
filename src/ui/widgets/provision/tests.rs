//! The provision panel drawn from Terraform 1.11.4 recordings (`shared/fixtures/terraform-ui/`),
//! folded line by line as the app folds them, at the recorded pace.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use super::ProvisionView;
use crate::app::provision::Provision;
use crate::backend::terraform::ui::{UiMessage, parse_line};
use crate::lesson::{TerraformAction, TerraformStep};
use crate::ui::theme::Theme;

/// 2026-11-23 09:00:00 UTC, as in the screen snapshots.
const T0_MS: u64 = 1_795_424_400_000;

pub(crate) const MID_APPLY: &str = "apply-saved-plan.success.jsonl";
/// Lines of `MID_APPLY` up to the cluster's provisioner starting: three resources done, one busy.
pub(crate) const MID_APPLY_LINES: usize = 15;
pub(crate) const FAILED: &str = "apply-auto-approve.provisioner-error.jsonl";
pub(crate) const LOCKED: &str = "apply.state-lock-error.jsonl";
const INTERRUPTED: &str = "apply.interrupted-sigint.jsonl";
const REGISTRY: &str = "init.registry-unreachable.jsonl";
const WARNING: &str = "apply.check-warning.jsonl";
const SLOW: &str = "apply-auto-approve.apply-progress.jsonl";

/// The recordings beside the project, or `None` (with the reason) when `shared/` is missing;
/// under `CI=true` that is a failure.
fn recordings() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/terraform-ui/generated-tf-1.11.4");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI=true but {} is missing",
        dir.display()
    );
    eprintln!("skipped: {} is missing", dir.display());
    None
}

/// The first `lines` messages of a recording (all with `None`), each with its `@timestamp` as
/// milliseconds after the first message.
pub(crate) fn recorded(file: &str, lines: Option<usize>) -> Option<Vec<(u64, UiMessage)>> {
    let text = std::fs::read_to_string(recordings()?.join(file)).expect("read the recording");
    let stamp = |line: &str| {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let at = v["@timestamp"].as_str().expect("a timestamp");
        let t = humantime::parse_rfc3339(at).expect("an RFC 3339 timestamp");
        let ms = t
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        u64::try_from(ms).expect("fits")
    };
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let first = all.first().map_or(0, |l| stamp(l));
    Some(
        all.iter()
            .take(lines.unwrap_or(usize::MAX))
            .map(|l| (stamp(l).saturating_sub(first), parse_line(l)))
            .collect(),
    )
}

/// A provision folded from a recording that started at `T0_MS`; finished at its last message
/// unless `running`.
fn provision(file: &str, lines: Option<usize>, running: bool) -> Option<Provision> {
    let mut p = Provision::new(T0_MS);
    let mut last = T0_MS;
    for (at, m) in recorded(file, lines)? {
        last = T0_MS + at;
        p.apply(&m, last);
    }
    if !running {
        p.finished_ms = Some(last);
    }
    Some(p)
}

fn step(module: &str, action: TerraformAction) -> TerraformStep {
    TerraformStep {
        module: module.into(),
        action,
        vars: BTreeMap::new(),
        secret_outputs: BTreeMap::new(),
    }
}

fn view<'a>(
    p: &'a Provision,
    tf: &'a TerraformStep,
    theme: &'a Theme,
    now_ms: u64,
) -> ProvisionView<'a> {
    ProvisionView {
        provision: p,
        terraform: tf,
        estimate: Some(Duration::from_secs(600)),
        interrupted: false,
        expanded: false,
        now_ms,
        tick: 3,
        theme,
    }
}

fn draw(v: &ProvisionView, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(v, f.area()))
        .expect("draw");
    terminal
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fifty resources as a large module plans them: the first dozen done, two busy, one failed.
fn many() -> Provision {
    let hook = |kind: &str, i: usize, extra: &str| {
        format!(
            r#"{{"@level":"info","@message":"m","type":"{kind}","hook":{{"resource":{{"addr":"confluent_kafka_topic.topic[{i}]","module":"","resource_type":"confluent_kafka_topic","resource_name":"topic"}},"action":"create"{extra}}}}}"#
        )
    };
    let mut p = Provision::new(T0_MS);
    for i in 0..50 {
        let line = format!(
            r#"{{"@level":"info","@message":"m","type":"planned_change","change":{{"resource":{{"addr":"confluent_kafka_topic.topic[{i}]","module":"","resource_type":"confluent_kafka_topic","resource_name":"topic"}},"action":"create"}}}}"#
        );
        p.apply(&parse_line(&line), T0_MS);
    }
    for i in 0..15 {
        p.apply(&parse_line(&hook("apply_start", i, "")), T0_MS + 1_000);
    }
    for i in 0..12 {
        p.apply(
            &parse_line(&hook("apply_complete", i, r#","elapsed_seconds":3"#)),
            T0_MS + 4_000,
        );
    }
    p.apply(
        &parse_line(&hook("apply_errored", 12, r#","elapsed_seconds":5"#)),
        T0_MS + 6_000,
    );
    p
}

#[test]
fn a_tiny_rect_shows_the_state_and_nothing_panics_at_any_size() {
    let Some(mid) = provision(MID_APPLY, Some(MID_APPLY_LINES), true) else {
        return;
    };
    let all: Vec<Provision> = [FAILED, LOCKED, INTERRUPTED, REGISTRY, WARNING, SLOW]
        .iter()
        .filter_map(|f| provision(f, None, false))
        .chain([mid.clone(), many(), Provision::new(T0_MS)])
        .collect();
    let theme = Theme::colored();
    for action in [TerraformAction::Apply, TerraformAction::Plan] {
        let tf = step("a-module-with-a-rather-long-name", action);
        for p in &all {
            for w in 0..=34 {
                for h in 0..=8 {
                    draw(&view(p, &tf, &theme, T0_MS + 9_000), w, h);
                }
            }
        }
    }
    let tf = step("cluster", TerraformAction::Apply);
    let tiny = draw(&view(&mid, &tf, &theme, T0_MS + 8_000), 20, 3);
    insta::assert_snapshot!("provision_tiny_20x3", tiny.backend());
}

#[test]
fn no_color_draws_without_a_single_colour() {
    let theme = Theme::monochrome();
    let tf = step("cluster", TerraformAction::Apply);
    let all: Vec<Provision> = [FAILED, LOCKED, INTERRUPTED, WARNING]
        .iter()
        .filter_map(|f| provision(f, None, false))
        .chain([many()])
        .collect();
    for p in &all {
        for (w, h) in [(44, 8), (130, 12)] {
            let t = draw(&view(p, &tf, &theme, T0_MS + 9_000), w, h);
            for cell in t.backend().buffer().content() {
                assert_eq!(
                    (cell.fg, cell.bg),
                    (Color::Reset, Color::Reset),
                    "a coloured cell at {w}x{h}: {cell:?}"
                );
            }
        }
    }
}

#[test]
fn when_resources_do_not_fit_failed_and_busy_ones_come_first() {
    let p = many();
    let theme = Theme::colored();
    let tf = step("topics", TerraformAction::Apply);
    let narrow = text(&draw(&view(&p, &tf, &theme, T0_MS + 9_000), 60, 10));
    let rows: Vec<&str> = narrow.lines().collect();
    assert!(rows[2].contains("13/50 resources · 1 failed"), "{narrow}");
    assert!(
        rows[3].contains("✗ confluent_kafka_topic.topic[12]"),
        "{narrow}"
    );
    assert!(
        rows[4].contains("topic[13]") && rows[4].contains("8s"),
        "{narrow}"
    );
    assert!(rows[5].contains("topic[14]"), "{narrow}");
    assert!(
        narrow.contains("+45 more · 12 done · 33 waiting"),
        "{narrow}"
    );
    // The log pane of a 200×50 screen lists them side by side.
    let wide = draw(&view(&p, &tf, &theme, T0_MS + 9_000), 130, 12);
    insta::assert_snapshot!("provision_many_resources_130x12", wide.backend());
}

#[test]
fn elapsed_times_keep_moving_between_terraform_reports() {
    let Some(p) = provision(SLOW, Some(7), true) else {
        return;
    };
    let theme = Theme::colored();
    let tf = step("flink", TerraformAction::Apply);
    // Terraform said 10 s; four seconds later the guide's clock says 14 s.
    let shown = text(&draw(&view(&p, &tf, &theme, T0_MS + 14_400), 80, 8));
    assert!(
        shown.contains("terraform_data.flink_statement  create     14s"),
        "{shown}"
    );
    assert!(shown.contains("0/1 resources"), "{shown}");
    assert!(shown.contains("typically ~10 min"), "{shown}");
    assert!(shown.contains("↳ Executing:"), "{shown}");
}

#[test]
fn an_interrupted_apply_and_an_unreachable_registry_say_what_to_do() {
    let (Some(intr), Some(reg)) = (
        provision(INTERRUPTED, None, false),
        provision(REGISTRY, None, false),
    ) else {
        return;
    };
    let theme = Theme::colored();
    let tf = step("connector", TerraformAction::Apply);
    let shown = text(&draw(&view(&intr, &tf, &theme, T0_MS + 9_000), 80, 10));
    assert!(shown.contains("! interrupted"), "{shown}");
    assert!(
        shown.contains("stopped; the state is kept — Enter resumes"),
        "{shown}"
    );
    let shown = text(&draw(&view(&reg, &tf, &theme, T0_MS + 9_000), 100, 10));
    assert!(shown.contains("✗ failed"), "{shown}");
    assert!(
        shown.contains(
            "Terraform could not reach the provider registry: check your network or proxy, then"
        ),
        "{shown}"
    );
    assert!(
        shown.contains("Error: Failed to query available provider packages"),
        "{shown}"
    );
}

#[test]
fn a_plan_step_counts_changes_and_a_warning_is_not_a_failure() {
    let (Some(plan), Some(warn)) = (
        provision("plan-create.detailed-exitcode-2.jsonl", None, false),
        provision(WARNING, None, false),
    ) else {
        return;
    };
    let theme = Theme::colored();
    let shown = text(&draw(
        &view(
            &plan,
            &step("cluster", TerraformAction::Plan),
            &theme,
            T0_MS,
        ),
        100,
        10,
    ));
    assert!(shown.contains("terraform plan · module cluster"), "{shown}");
    assert!(shown.contains("✓ done"), "{shown}");
    assert!(
        shown.contains("plan: 4 to add, 0 to change, 0 to destroy"),
        "{shown}"
    );
    let shown = text(&draw(
        &view(
            &warn,
            &step("connector", TerraformAction::Apply),
            &theme,
            T0_MS,
        ),
        100,
        10,
    ));
    assert!(shown.contains("✓ done"), "{shown}");
    assert!(
        shown.contains("▲ Warning: Check block assertion failed"),
        "{shown}"
    );
    assert!(shown.contains("main.tf:7"), "{shown}");
    assert!(shown.contains("Connector is not RUNNING yet."), "{shown}");
}

#[test]
fn text_from_terraform_cannot_drive_the_terminal() {
    let line = r#"{"@level":"error","@message":"x","type":"diagnostic","diagnostic":{"severity":"error","summary":"bad \u001b[31mred\u001b[0m \u001b]52;c;aGk=\u0007thing","detail":"line\u001b[2K one\r\nline two\u0007"}}"#;
    let mut p = Provision::new(T0_MS);
    p.apply(&parse_line(line), T0_MS);
    p.finished_ms = Some(T0_MS);
    let theme = Theme::colored();
    let tf = step("x\u{1b}[2J", TerraformAction::Apply);
    let t = draw(&view(&p, &tf, &theme, T0_MS), 60, 8);
    let shown = text(&t);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("✗ Error: bad red thing"), "{shown}");
    assert!(shown.contains("line one"), "{shown}");
    assert!(shown.contains("terraform apply · module x "), "{shown}");
}
