//! The live panels as the participant sees them: connectors in every state, the workshop's
//! lineage at 80 and 200 columns, a topic with decoded changes, rates and drops.

use std::collections::BTreeMap;

use crossterm::event::KeyCode;
use serde_json::json;

use super::{Screen, fixture};
use crate::app::live::LivePanel;
use crate::app::update::{Action, AppEffect, update};
use crate::backend::kafka::schemas::DecodedRecord;
use crate::lesson::{Block, PanelPin};
use crate::live::{ConnectorRow, LiveEvent};

fn row(name: &str, kind: &str, state: &str, tasks: &[&str], records: Option<f64>) -> ConnectorRow {
    ConnectorRow {
        name: name.into(),
        kind: kind.into(),
        state: state.into(),
        tasks: tasks
            .iter()
            .enumerate()
            .map(|(i, s)| (i as u32, s.to_string()))
            .collect(),
        trace: (state == "FAILED").then(|| {
            "Unable to connect to the database: Connection refused (18.1.2.3:3306)".to_string()
        }),
        records,
    }
}

fn live(s: &mut Screen, event: LiveEvent) -> Vec<AppEffect> {
    update(&mut s.model, Action::Live(event))
}

fn every_state() -> Vec<ConnectorRow> {
    vec![
        row(
            "PostgresCdcSourceV2_0",
            "source",
            "RUNNING",
            &["RUNNING"],
            Some(1234.0),
        ),
        row("MySqlCdcSourceV2_0", "source", "FAILED", &["FAILED"], None),
        row(
            "oracle21-cdc-connector",
            "source",
            "PROVISIONING",
            &[],
            None,
        ),
        row("S3_SINK_0", "sink", "PAUSED", &["PAUSED"], Some(0.0)),
        row(
            "RedshiftSink_0",
            "sink",
            "DEGRADED",
            &["RUNNING", "FAILED"],
            Some(56.0),
        ),
        row(
            "SFCDC_contacts",
            "source",
            "RESTARTING",
            &["UNASSIGNED"],
            None,
        ),
    ]
}

#[test]
fn the_connector_panel_shows_every_state_with_tasks_throughput_and_the_failure() {
    let mut s = Screen::started(fixture(), "local");
    s.render(120, 40);
    s.key(KeyCode::Char('v')).key(KeyCode::Char('v'));
    assert_eq!(s.model.live.panel, LivePanel::Connectors);
    // Before the first answer the panel says it is asking.
    s.snapshot_at("connectors_waiting", &[(120, 40)]);
    live(
        &mut s,
        LiveEvent::ConnectorsPolled {
            rows: every_state(),
            at_ms: super::T0_MS,
        },
    );
    s.at(7)
        .snapshot_at("connectors_every_state", &[(120, 40), (200, 50)]);
    s.key(KeyCode::Char('z'));
    s.snapshot_at("connectors_zoomed", &[(80, 24)]);
}

#[test]
fn a_connector_list_that_cannot_be_had_says_why() {
    let mut s = Screen::started(fixture(), "local");
    s.render(120, 40);
    s.key(KeyCode::Char('v')).key(KeyCode::Char('v'));
    assert!(
        s.model
            .notices
            .iter()
            .all(|(n, _)| !n.text.contains("panel chosen"))
    );
    live(
        &mut s,
        LiveEvent::ConnectorsUnavailable(
            "waiting for `cluster`: `{{ outputs.ccloud.cluster_id }}` has no value yet: run the step that provides it first".into(),
        ),
    );
    let text = super::screen_text(&s.render(120, 40));
    assert!(text.contains("waiting for `cluster`"), "{text}");
}

fn workshop_lineage(s: &mut Screen) {
    let (connectors, topics, statements) = crate::lineage::tests::workshop_pipeline();
    live(
        s,
        LiveEvent::LineageDerived {
            graph: crate::lineage::derive(&connectors, &topics, &statements),
            topic_records: BTreeMap::from([
                ("mysql.demo.accounts".to_string(), 1250.0),
                ("all_contacts".to_string(), 42.0),
            ]),
        },
    );
}

#[test]
fn the_lineage_of_the_workshop_reads_left_to_right_and_scrolls_at_80_columns() {
    let mut s = Screen::started(fixture(), "local");
    workshop_lineage(&mut s);
    s.key(KeyCode::Char('z'));
    assert!(s.model.live.zoomed);
    assert_eq!(
        s.model.live.panel,
        LivePanel::Lineage,
        "zoom opens the lineage"
    );
    s.snapshot_at("lineage_zoomed", &[(80, 24), (200, 50)]);
    let text = super::screen_text(&s.render(200, 50));
    for label in [
        "mysql 18.1.2.3/demo",
        "union-contacts",
        "RedshiftSinkConnect",
        ".ORDERMGMT.CONTACTS",
        "1.2k",
    ] {
        assert!(text.contains(label), "{label} missing:\n{text}");
    }
    // Scrolled right, the sinks come into view at 80 columns.
    for _ in 0..12 {
        s.key(KeyCode::Char('l'));
    }
    s.snapshot_at("lineage_scrolled", &[(80, 24)]);
    let text = super::screen_text(&s.render(80, 24));
    assert!(text.contains("RedshiftSinkConn"), "{text}");
    s.key(KeyCode::Esc);
    assert!(!s.model.live.zoomed);
}

fn change(
    offset: i64,
    op: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> DecodedRecord {
    DecodedRecord {
        partition: 0,
        offset,
        timestamp_ms: Some(super::T0_MS as i64 + offset * 1000),
        key: json!({"id": 7}),
        value: json!({"op": op, "before": before, "after": after,
            "source": {"schema": "public", "table": "orders"}}),
        tombstone: false,
        key_schema_id: Some(1),
        value_schema_id: Some(2),
    }
}

#[test]
fn watching_a_topic_shows_decoded_changes_newest_first_with_rate_and_drops() {
    let mut s = Screen::started(fixture(), "local");
    workshop_lineage(&mut s);
    let fx = update(
        &mut s.model,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('t'),
            crossterm::event::KeyModifiers::NONE,
        )),
    );
    let watched = fx.iter().find_map(|e| match e {
        AppEffect::WatchTopic(Some(t)) => Some(t.clone()),
        _ => None,
    });
    let topic = watched.expect("t asks the live service to watch a topic");
    assert_eq!(s.model.live.panel, LivePanel::Topic);
    s.at(1);
    live(
        &mut s,
        LiveEvent::TopicRecordsArrived {
            topic: topic.clone(),
            records: vec![
                change(0, "c", json!(null), json!({"id": 7, "amount": "10.50"})),
                change(
                    1,
                    "u",
                    json!({"id": 7, "amount": "10.50"}),
                    json!({"id": 7, "amount": "19.99"}),
                ),
                change(2, "d", json!({"id": 7, "amount": "19.99"}), json!(null)),
            ],
            dropped: 4,
        },
    );
    // A batch for a topic no longer watched is ignored.
    live(
        &mut s,
        LiveEvent::TopicRecordsArrived {
            topic: "another".into(),
            records: vec![change(9, "c", json!(null), json!({"id": 1}))],
            dropped: 0,
        },
    );
    let view = s.model.live.topic.as_ref().expect("watching");
    assert_eq!((view.received, view.dropped), (3, 4));
    s.at(2).snapshot_at("topic_records", &[(120, 40)]);
    let text = super::screen_text(&s.render(200, 50));
    assert!(text.contains("0.3 rec/s"), "{text}");
    assert!(text.contains("4 dropped"), "{text}");
    assert!(
        text.contains(r#"update public.orders {amount: "10.50" → "19.99"}"#),
        "{text}"
    );
}

#[test]
fn on_a_narrow_screen_switching_panels_says_where_they_are() {
    let mut s = Screen::started(fixture(), "local");
    s.render(80, 24);
    s.key(KeyCode::Char('v'));
    let text = super::screen_text(&s.render(80, 24));
    assert!(
        text.contains("Topic panel chosen: it shows beside the lesson from 110"),
        "{text}"
    );
}

#[test]
fn a_check_with_a_panel_brings_it_to_the_front_when_its_step_is_selected() {
    let mut course = (*fixture()).clone();
    let lesson = course
        .lessons
        .iter_mut()
        .find(|l| l.id == "first-steps")
        .expect("fixture lesson");
    for b in &mut lesson.blocks {
        if let Block::Check(c) = b
            && c.id == "marker-written"
        {
            c.panel = Some(PanelPin::Connectors);
        }
    }
    let mut s = Screen::started(std::sync::Arc::new(course), "local");
    assert_eq!(
        s.model.live.panel,
        LivePanel::Connectors,
        "{:?}",
        s.model.selected_step().map(|s| &s.id)
    );
    // The participant may switch away; the pin does not fight back while the selection stays.
    s.key(KeyCode::Char('v'));
    assert_eq!(s.model.live.panel, LivePanel::Lineage);
    s.at(3);
    assert_eq!(s.model.live.panel, LivePanel::Lineage);
}
