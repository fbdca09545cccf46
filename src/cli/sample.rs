//! `cdc-workshop sample --topic T`: records of a topic, decoded through Schema Registry, for
//! scripts and facilitators. Reads without a consumer group and without committing.
//!
//! Two threads share the work: the reader polls librdkafka and copies records into batches,
//! the printer decodes them and writes the lines. Batches travel through a bounded channel and
//! come back to be filled again, so memory does not grow with `--count`.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use crate::backend::confluent::client::ConfluentClient;
use crate::backend::kafka::sample::{
    KafkaSettings, Polled, Reader, RecordBatch, RecordRef, SampleError, Start,
};
use crate::backend::kafka::schemas::{Decoder, RegistrySchemas};
use crate::config::{EnvLookup, Overrides};
use crate::runner::confluent::resolve;
use crate::workspace::Workspace;

use super::output::Format;
use super::{CliError, Exit, SampleArgs, SampleFrom};

/// How long `sample` waits for the next record before it stops.
pub const WAIT: Duration = Duration::from_secs(10);
/// A batch is handed over once it holds this many payload bytes: one hand-off per record would
/// spend more time waking threads than decoding.
const BATCH_BYTES: usize = 64 * 1024;
/// Batches in flight between the reader and the printer; a slow pipe holds the reader back
/// here instead of letting memory grow.
const BATCHES_IN_FLIGHT: usize = 8;
const POLL_SLICE: Duration = Duration::from_millis(200);

pub fn run(overrides: &Overrides, env: EnvLookup, args: &SampleArgs) -> Result<Exit, CliError> {
    let ws = Workspace::open(overrides, env)?;
    let values = ws.values.snapshot(&Default::default());
    let resolved = resolve(
        &ws.course.confluent,
        &ws.confluent_endpoints(),
        values.as_ref(),
    );
    let settings = KafkaSettings::from_scope(&resolved.scope).map_err(CliError::Usage)?;
    if let Some((_, secret)) = &settings.sasl {
        ws.redactor.add(secret.expose());
    }
    let start = match args.from {
        SampleFrom::Beginning => Start::Beginning,
        SampleFrom::End => Start::End,
        SampleFrom::Last => Start::LastPerPartition(i64::try_from(args.count).unwrap_or(i64::MAX)),
    };
    let job = ReadJob {
        topic: args.topic.clone(),
        start,
        count: args.count,
        // Reading the backlog stops at its end (as `kcat -e` does); reading live waits for more.
        stop_at_end: args.from != SampleFrom::End,
    };
    let (full_tx, full_rx) = sync_channel::<Handoff>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = sync_channel::<RecordBatch>(BATCHES_IN_FLIGHT + 1);
    // Not joined: closing the consumer takes longer than everything else in a short sample, and
    // nothing depends on it once the last record is handed over.
    std::thread::Builder::new()
        .name("kafka-reader".into())
        .spawn(move || {
            let batches = Batches {
                full: full_tx,
                empty: empty_rx,
            };
            read(&settings, &job, &batches);
        })
        .map_err(|e| CliError::Usage(format!("cannot start the Kafka reader: {e}")))?;

    let client = ConfluentClient::new().map_err(|e| CliError::Usage(e.to_string()))?;
    let mut render = Render {
        decoder: Decoder::new(Arc::new(RegistrySchemas::new(
            Arc::new(client),
            resolved.scope,
        ))),
        format: args.format,
        topic: args.topic.clone(),
    };
    // Schemas are fetched on this thread when a record first names them.
    let fetcher = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let write_failed = |e: std::io::Error| CliError::Usage(format!("cannot write output: {e}"));
    let mut printed = 0usize;
    let mut lines = Vec::with_capacity(BATCH_BYTES * 8);
    let mut read_result = Err(SampleError::Read {
        topic: args.topic.clone(),
        reason: "the Kafka reader stopped without saying why".into(),
    });
    for handoff in full_rx {
        let mut batch = match handoff {
            Handoff::Records(batch) => batch,
            Handoff::Finished(result) => {
                read_result = result;
                break;
            }
        };
        lines.clear();
        for record in batch.iter() {
            if render.decoder.needs_fetch(record) {
                fetcher.block_on(render.decoder.fetch_for(record));
            }
            render.line(record, &mut lines);
        }
        printed += batch.len();
        batch.clear();
        let _ = empty_tx.try_send(batch);
        // One scan per batch: secrets are rare in records, but never printed.
        if ws.redactor.would_redact_bytes(&lines) {
            let text = ws.redactor.redact(&String::from_utf8_lossy(&lines));
            out.write_all(text.as_bytes())
        } else {
            out.write_all(&lines)
        }
        .map_err(write_failed)?;
    }
    if let Err(e) = read_result {
        out.flush().map_err(write_failed)?;
        return Err(CliError::Usage(ws.redactor.redact(&e.to_string())));
    }
    if printed == 0 && args.format == Format::Text {
        writeln!(
            out,
            "no records in {} within {}s",
            args.topic,
            WAIT.as_secs()
        )
        .map_err(write_failed)?;
    }
    out.flush().map_err(write_failed)?;
    Ok(Exit::Success)
}

/// What the reader thread hands the printer.
enum Handoff {
    Records(RecordBatch),
    /// Sent before the consumer closes: the printer need not wait for that.
    Finished(Result<(), SampleError>),
}

/// The reader's side of the hand-off: full batches out, emptied ones back.
struct Batches {
    full: SyncSender<Handoff>,
    empty: Receiver<RecordBatch>,
}

impl Batches {
    fn fresh(&self) -> RecordBatch {
        self.empty.try_recv().unwrap_or_default()
    }

    /// False once the printer has gone (the output was closed).
    fn send(&self, handoff: Handoff) -> bool {
        self.full.send(handoff).is_ok()
    }
}

#[derive(Debug, Clone)]
struct ReadJob {
    topic: String,
    start: Start,
    count: usize,
    stop_at_end: bool,
}

/// Records into lines, as `--format` asks.
struct Render {
    decoder: Decoder,
    format: Format,
    topic: String,
}

impl Render {
    /// The record's line appended to `out`, decoded with the schemas known now.
    fn line(&self, record: RecordRef<'_>, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => self.decoder.write_json_line(&self.topic, record, out),
            Format::Text => {
                let r = self.decoder.decoded(record);
                let _ = write!(
                    out,
                    "{}@{}  {}  {}",
                    r.partition,
                    r.offset,
                    r.key,
                    r.summary()
                );
            }
        }
        out.push(b'\n');
    }
}

/// Reads until `count` records, the end of the backlog (when `stop_at_end`), or `WAIT` without a
/// record; hands records over in batches as they come, then how it ended.
fn read(settings: &KafkaSettings, job: &ReadJob, batches: &Batches) {
    let outcome = Reader::open(settings, &job.topic, job.start, WAIT).map(|mut reader| {
        let pumped = pump(&mut reader, job, batches);
        (reader, pumped)
    });
    match outcome {
        Ok((reader, pumped)) => {
            let _ = batches.send(Handoff::Finished(pumped));
            drop(reader);
        }
        Err(e) => {
            let _ = batches.send(Handoff::Finished(Err(e)));
        }
    }
}

fn pump(reader: &mut Reader, job: &ReadJob, batches: &Batches) -> Result<(), SampleError> {
    let mut sent = 0usize;
    let mut idle = Duration::ZERO;
    let mut batch = batches.fresh();
    let mut at_end = false;
    while sent + batch.len() < job.count && idle < WAIT && !at_end {
        // While records are queued, take them without waiting; wait only for the first.
        let wait = if batch.is_empty() {
            POLL_SLICE
        } else {
            Duration::ZERO
        };
        match reader.poll_with(wait, |record| batch.push(record))? {
            Polled::Record(()) => {
                idle = Duration::ZERO;
                if batch.payload_bytes() < BATCH_BYTES {
                    continue;
                }
            }
            Polled::AtEnd if job.stop_at_end => at_end = true,
            Polled::AtEnd | Polled::Idle if batch.is_empty() => {
                idle += POLL_SLICE;
                continue;
            }
            Polled::AtEnd | Polled::Idle => {}
        }
        if !batch.is_empty() {
            sent += batch.len();
            let full = std::mem::replace(&mut batch, batches.fresh());
            if !batches.send(Handoff::Records(full)) {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = batches.send(Handoff::Records(batch));
    }
    Ok(())
}
