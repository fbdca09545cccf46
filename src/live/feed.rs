//! The watched topic, live: the last few records of each partition, then everything new,
//! decoded and handed to the UI in small batches. A reader thread owns the consumer; a task
//! decodes. Both hand-offs are bounded and count what they drop instead of waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::LiveEvent;
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, SampleError, Start};
use crate::backend::kafka::schemas::Decoder;
use crate::redact::Redactor;

/// Records of each partition shown when watching starts.
pub const TOPIC_BACKLOG_PER_PARTITION: i64 = 20;
/// Raw records waiting for the decoder.
const RAW_QUEUE_LEN: usize = 1024;
/// Records per batch to the UI, and the longest a record waits for its batch.
const BATCH_LEN: usize = 64;
const BATCH_WAIT: Duration = Duration::from_millis(250);
const POLL_SLICE: Duration = Duration::from_millis(200);
/// How long a missing topic or unreachable broker waits before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(10);
const METADATA_WAIT: Duration = Duration::from_secs(10);

/// Read `topic` until `cancel`, sending decoded batches to `events`.
pub fn start(
    settings: KafkaSettings,
    topic: String,
    mut decoder: Decoder,
    events: mpsc::Sender<LiveEvent>,
    redactor: Redactor,
    cancel: CancellationToken,
) {
    let (raw_tx, mut raw_rx) = mpsc::channel::<RawRecord>(RAW_QUEUE_LEN);
    let dropped = Arc::new(AtomicU64::new(0));
    let reader = {
        let (topic, events, dropped, cancel) = (
            topic.clone(),
            events.clone(),
            Arc::clone(&dropped),
            cancel.clone(),
        );
        move || {
            read(
                &settings, &topic, &raw_tx, &events, &dropped, &redactor, &cancel,
            )
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("topic-feed".into())
        .spawn(reader)
    {
        let _ = events.try_send(LiveEvent::TopicUnavailable {
            topic,
            message: format!("cannot start the topic reader: {e}"),
        });
        return;
    }
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH_LEN);
        let mut batch_started = tokio::time::Instant::now();
        loop {
            let next = tokio::select! {
                () = cancel.cancelled() => break,
                r = tokio::time::timeout(BATCH_WAIT, raw_rx.recv()) => r,
            };
            // A batch goes out when full, when it has waited long enough, or when all is quiet
            // (then also just to report drops).
            let due = match next {
                Ok(Some(raw)) => {
                    if batch.is_empty() {
                        batch_started = tokio::time::Instant::now();
                    }
                    batch.push(decoder.decode(&raw).await);
                    batch_started.elapsed() >= BATCH_WAIT
                }
                Ok(None) => break,
                Err(_) => true,
            };
            let lost = dropped.load(Ordering::Relaxed);
            if batch.len() >= BATCH_LEN || (due && (!batch.is_empty() || lost > 0)) {
                let records = std::mem::take(&mut batch);
                let n = records.len() as u64;
                let event = LiveEvent::TopicRecordsArrived {
                    topic: topic.clone(),
                    records,
                    dropped: dropped.swap(0, Ordering::Relaxed),
                };
                if let Err(mpsc::error::TrySendError::Full(LiveEvent::TopicRecordsArrived {
                    dropped: d,
                    ..
                })) = events.try_send(event)
                {
                    dropped.fetch_add(n + d, Ordering::Relaxed);
                }
            }
        }
    });
}

fn read(
    settings: &KafkaSettings,
    topic: &str,
    raw_tx: &mpsc::Sender<RawRecord>,
    events: &mpsc::Sender<LiveEvent>,
    dropped: &AtomicU64,
    redactor: &Redactor,
    cancel: &CancellationToken,
) {
    let unavailable = |message: String| {
        let _ = events.try_send(LiveEvent::TopicUnavailable {
            topic: topic.to_string(),
            message: redactor.redact(&message),
        });
    };
    while !cancel.is_cancelled() {
        let mut reader = match Reader::open(
            settings,
            topic,
            Start::LastPerPartition(TOPIC_BACKLOG_PER_PARTITION),
            METADATA_WAIT,
        ) {
            Ok(r) => r,
            Err(e) => {
                let message = match e {
                    SampleError::NoTopic { .. } => format!("topic {topic} does not exist yet"),
                    other => other.to_string(),
                };
                unavailable(message);
                wait(cancel, RETRY_AFTER);
                continue;
            }
        };
        while !cancel.is_cancelled() {
            match reader.poll(POLL_SLICE) {
                Ok(Polled::Record(r)) => {
                    if raw_tx.try_send(r).is_err() {
                        dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Polled::Idle | Polled::AtEnd) => {}
                Err(e) => {
                    unavailable(e.to_string());
                    wait(cancel, RETRY_AFTER);
                    break;
                }
            }
        }
    }
}

/// Sleep in short slices so a cancel is noticed quickly.
fn wait(cancel: &CancellationToken, total: Duration) {
    let mut left = total;
    while !left.is_zero() && !cancel.is_cancelled() {
        let slice = left.min(POLL_SLICE);
        std::thread::sleep(slice);
        left -= slice;
    }
}
