//! `cdc-workshop sample --topic T`: records of a topic, decoded through Schema Registry, for
//! scripts and facilitators. Reads without a consumer group and without committing, one record
//! at a time (a bounded hand-off between the reader thread and the printer), so memory does not
//! grow with `--count`.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::backend::confluent::client::ConfluentClient;
use crate::backend::kafka::sample::{KafkaSettings, Polled, RawRecord, Reader, SampleError, Start};
use crate::backend::kafka::schemas::{Decoder, RegistrySchemas};
use crate::config::{EnvLookup, Overrides};
use crate::runner::confluent::resolve;
use crate::workspace::Workspace;

use super::output::Format;
use super::{CliError, Exit, SampleArgs, SampleFrom};

/// How long `sample` waits for the next record before it stops.
pub const WAIT: Duration = Duration::from_secs(10);
/// Batches in flight between the reader thread and the printer, and records per batch: one
/// hand-off per record would spend more time waking threads than decoding.
const HANDOFF_BATCHES: usize = 8;
const BATCH_RECORDS: usize = 256;
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
    // Reading the backlog stops at its end (as `kcat -e` does); reading live waits for more.
    let stop_at_end = args.from != SampleFrom::End;
    let client = ConfluentClient::new().map_err(|e| CliError::Usage(e.to_string()))?;
    let mut decoder = Decoder::new(Arc::new(RegistrySchemas::new(
        Arc::new(client),
        resolved.scope,
    )));
    let (tx, mut rx) = mpsc::channel::<Handoff>(HANDOFF_BATCHES);
    let topic = args.topic.clone();
    let count = args.count;
    // Not joined: closing the consumer takes longer than everything else in a short sample, and
    // nothing depends on it once the last record is handed over.
    std::thread::Builder::new()
        .name("kafka-reader".into())
        .spawn(move || read(&settings, &topic, start, count, stop_at_end, &tx))
        .map_err(|e| CliError::Usage(format!("cannot start the Kafka reader: {e}")))?;

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut printed = 0usize;
    let write_failed = |e: std::io::Error| CliError::Usage(format!("cannot write output: {e}"));
    let mut line = Vec::with_capacity(1024);
    let mut read_result = Ok(());
    super::runtime()?.block_on(async {
        while let Some(handoff) = rx.recv().await {
            let batch = match handoff {
                Handoff::Records(batch) => batch,
                Handoff::Finished(result) => {
                    read_result = result;
                    break;
                }
            };
            for raw in &batch {
                line.clear();
                match args.format {
                    Format::Json => decoder.write_json_line(&args.topic, raw, &mut line).await,
                    Format::Text => {
                        let r = decoder.decode(raw).await;
                        write!(
                            line,
                            "{}@{}  {}  {}",
                            r.partition,
                            r.offset,
                            r.key,
                            r.summary()
                        )
                        .map_err(write_failed)?;
                    }
                }
                let text = String::from_utf8_lossy(&line);
                if ws.redactor.would_redact(&text) {
                    writeln!(out, "{}", ws.redactor.redact(&text)).map_err(write_failed)?;
                } else {
                    out.write_all(&line).map_err(write_failed)?;
                    out.write_all(b"\n").map_err(write_failed)?;
                }
                printed += 1;
            }
        }
        Ok::<(), CliError>(())
    })?;
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
    Records(Vec<RawRecord>),
    /// Sent before the consumer closes: the printer need not wait for that.
    Finished(Result<(), SampleError>),
}

/// Reads until `count` records, the end of the backlog (when `stop_at_end`), or `WAIT` without a
/// record; hands records over in batches as they come, then how it ended.
fn read(
    settings: &KafkaSettings,
    topic: &str,
    start: Start,
    count: usize,
    stop_at_end: bool,
    tx: &mpsc::Sender<Handoff>,
) {
    let outcome = Reader::open(settings, topic, start, WAIT).map(|mut reader| {
        let pumped = pump(&mut reader, count, stop_at_end, tx);
        (reader, pumped)
    });
    match outcome {
        Ok((reader, pumped)) => {
            let _ = tx.blocking_send(Handoff::Finished(pumped));
            drop(reader);
        }
        Err(e) => {
            let _ = tx.blocking_send(Handoff::Finished(Err(e)));
        }
    }
}

fn pump(
    reader: &mut Reader,
    count: usize,
    stop_at_end: bool,
    tx: &mpsc::Sender<Handoff>,
) -> Result<(), SampleError> {
    let mut sent = 0usize;
    let mut idle = Duration::ZERO;
    let mut batch = Vec::with_capacity(BATCH_RECORDS);
    let mut at_end = false;
    while sent + batch.len() < count && idle < WAIT && !at_end {
        // While records are queued, take them without waiting; wait only for the first.
        let wait = if batch.is_empty() {
            POLL_SLICE
        } else {
            Duration::ZERO
        };
        match reader.poll(wait)? {
            Polled::Record(r) => {
                idle = Duration::ZERO;
                batch.push(r);
                if batch.len() < BATCH_RECORDS {
                    continue;
                }
            }
            Polled::AtEnd if stop_at_end => at_end = true,
            Polled::AtEnd | Polled::Idle if batch.is_empty() => {
                idle += POLL_SLICE;
                continue;
            }
            Polled::AtEnd | Polled::Idle => {}
        }
        if !batch.is_empty() {
            sent += batch.len();
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_RECORDS));
            if tx.blocking_send(Handoff::Records(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Handoff::Records(batch));
    }
    Ok(())
}
