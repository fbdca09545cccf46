//! The `topic_messages` check: read the newest records of a topic (no consumer group, no
//! commits), decode them through Schema Registry and count the ones that match.

use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use serde_json::Value;

use super::ResolvedScope;
use crate::backend::confluent::ConfluentApi;
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, SampleError, Start};
use crate::backend::kafka::schemas::{DecodedRecord, Decoder, RegistrySchemas};
use crate::lesson::template::TemplateContext;
use crate::lesson::{RecordMatch, TopicMessagesCheck};
use crate::runner::outcome::{Observation, Verdict};
use crate::runner::sql::{MARKER_AT_OUTPUT, MARKER_OUTPUT};

/// How long one attempt may wait for the cluster's metadata and watermarks.
const METADATA_WAIT: Duration = Duration::from_secs(10);
/// One attempt stops reading after this long without a record (the backlog is usually read to
/// its end well before).
const READ_IDLE: Duration = Duration::from_secs(2);
const POLL_SLICE: Duration = Duration::from_millis(200);
/// Characters of a record shown in the observation.
const SHOWN_CHARS: usize = 160;

fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn clip(text: &str) -> String {
    if text.chars().count() <= SHOWN_CHARS {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN_CHARS).collect::<String>())
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The newest `per_partition` records of every partition, read to the end of the backlog.
fn read_newest(
    settings: &KafkaSettings,
    topic: &str,
    per_partition: u32,
) -> Result<Vec<RawRecord>, SampleError> {
    let mut reader = Reader::open(
        settings,
        topic,
        Start::LastPerPartition(i64::from(per_partition)),
        METADATA_WAIT,
    )?;
    let mut out = Vec::new();
    let mut idle = Duration::ZERO;
    while idle < READ_IDLE {
        match reader.poll(POLL_SLICE)? {
            Polled::Record(r) => {
                idle = Duration::ZERO;
                out.push(r);
            }
            Polled::AtEnd => break,
            Polled::Idle => idle += POLL_SLICE,
        }
    }
    Ok(out)
}

/// What a record must carry, rendered for this attempt.
enum Wanted {
    Any,
    Equals {
        field: String,
        value: String,
    },
    Matches {
        field: Option<String>,
        regex: Regex,
    },
    Marker {
        field: Option<String>,
        marker: String,
        written_at_ms: Option<i64>,
    },
}

impl Wanted {
    fn accepts(&self, r: &DecodedRecord) -> bool {
        match self {
            Wanted::Any => true,
            Wanted::Equals { field, value } => r.field(field).is_some_and(|v| as_text(v) == *value),
            Wanted::Matches { field, regex } => match field {
                Some(f) => r.field(f).is_some_and(|v| regex.is_match(&as_text(v))),
                None => regex.is_match(&r.value.to_string()),
            },
            Wanted::Marker { field, marker, .. } => match field {
                Some(f) => r.field(f).is_some_and(|v| as_text(v) == *marker),
                None => r.contains_text(marker),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Wanted::Any => String::new(),
            Wanted::Equals { field, value } => format!(" with {field} = {value}"),
            Wanted::Matches { field, regex } => match field {
                Some(f) => format!(" with {f} matching /{regex}/"),
                None => format!(" matching /{regex}/"),
            },
            Wanted::Marker { marker, .. } => format!(" carrying marker {marker}"),
        }
    }
}

fn wanted(check: &TopicMessagesCheck, values: &dyn TemplateContext) -> Result<Wanted, String> {
    Ok(match &check.matching {
        RecordMatch::Any => Wanted::Any,
        RecordMatch::Equals { field, value } => Wanted::Equals {
            field: field.clone(),
            value: value.render(values).map_err(|e| e.to_string())?,
        },
        RecordMatch::Matches { field, regex } => Wanted::Matches {
            field: field.clone(),
            regex: Regex::new(regex).map_err(|e| e.to_string())?,
        },
        RecordMatch::Marker { step, field } => Wanted::Marker {
            field: field.clone(),
            marker: values.output(step, MARKER_OUTPUT).ok_or_else(|| {
                format!("step `{step}` has not written its marker row yet; run it first")
            })?,
            written_at_ms: values
                .output(step, MARKER_AT_OUTPUT)
                .and_then(|t| t.parse().ok()),
        },
    })
}

pub(super) async fn topic_messages(
    api: Arc<dyn ConfluentApi>,
    resolved: &ResolvedScope,
    check: &TopicMessagesCheck,
    values: &(dyn TemplateContext + Send + Sync),
) -> Observation {
    let topic = match check.topic.render(values) {
        Ok(t) => t,
        Err(e) => return Observation::new(Verdict::Fail, e.to_string()),
    };
    let want = match wanted(check, values) {
        Ok(w) => w,
        Err(e) => return Observation::new(Verdict::Fail, e),
    };
    let settings = match KafkaSettings::from_scope(&resolved.scope) {
        Ok(s) => s,
        Err(e) => {
            let why = resolved
                .unresolved
                .get("kafka_bootstrap")
                .map_or(e, |reason| {
                    format!("no Kafka bootstrap address yet: {reason}")
                });
            return Observation::new(Verdict::Fail, why);
        }
    };
    let per_partition = check.scan_per_partition;
    let reading = topic.clone();
    let raws =
        match tokio::task::spawn_blocking(move || read_newest(&settings, &reading, per_partition))
            .await
        {
            Ok(Ok(raws)) => raws,
            Ok(Err(SampleError::NoTopic { .. })) => {
                return Observation::new(
                    Verdict::Pending,
                    format!("topic {topic} does not exist yet"),
                );
            }
            // The broker may be starting or briefly unreachable: keep polling until the deadline.
            Ok(Err(e)) => return Observation::new(Verdict::Pending, e.to_string()),
            Err(e) => return Observation::new(Verdict::Fail, format!("the reader stopped: {e}")),
        };
    let now_ms = wall_ms();
    let oldest_ms = check
        .within
        .map(|w| now_ms - i64::try_from(w.as_millis()).unwrap_or(i64::MAX));
    let mut decoder = Decoder::new(Arc::new(RegistrySchemas::new(api, resolved.scope.clone())));
    let mut matched: Vec<DecodedRecord> = Vec::new();
    let mut recent = 0usize;
    for raw in &raws {
        if let (Some(oldest), Some(ts)) = (oldest_ms, raw.timestamp_ms)
            && ts < oldest
        {
            continue;
        }
        recent += 1;
        let record = decoder.decode(raw).await;
        if want.accepts(&record) {
            matched.push(record);
        }
    }
    let window = check.within.map_or(String::new(), |w| {
        format!(" in the last {}", humantime::format_duration(w))
    });
    let what = want.describe();
    let count = u64::try_from(matched.len()).unwrap_or(u64::MAX);
    let newest = matched
        .iter()
        .max_by_key(|r| r.timestamp_ms.unwrap_or(i64::MIN));
    if let Wanted::Marker {
        marker,
        written_at_ms,
        ..
    } = &want
    {
        return match newest {
            Some(r) => {
                let arrived = r.timestamp_ms.unwrap_or(now_ms);
                let latency = written_at_ms.map_or(String::new(), |w| {
                    // A broker clock behind ours would make the latency negative; the time
                    // we saw it is then the honest upper bound.
                    let ms = if arrived >= w {
                        arrived - w
                    } else {
                        now_ms - w
                    };
                    format!(" {:.1} s after it was written", ms as f64 / 1000.0)
                });
                Observation::new(
                    Verdict::Pass,
                    format!(
                        "the row with marker {marker} reached {topic}{latency} (partition {}, offset {}): {}",
                        r.partition,
                        r.offset,
                        clip(&r.summary())
                    ),
                )
            }
            None => {
                let waited = written_at_ms.map_or(String::new(), |w| {
                    format!(
                        "; {:.1} s since it was written",
                        (now_ms - w) as f64 / 1000.0
                    )
                });
                Observation::new(
                    Verdict::Pending,
                    format!(
                        "waiting for the row with marker {marker} in {topic} (read {recent} records{window}, none carries it{waited})"
                    ),
                )
            }
        };
    }
    if count >= check.min_count {
        let shown = newest.map_or(String::new(), |r| {
            format!("; newest: {}", clip(&r.summary()))
        });
        Observation::new(
            Verdict::Pass,
            format!("{count} records{what} in {topic}{window}{shown}"),
        )
    } else {
        Observation::new(
            Verdict::Pending,
            format!(
                "{count} of {} records{what} in {topic}{window} so far (read {recent})",
                check.min_count
            ),
        )
    }
}
