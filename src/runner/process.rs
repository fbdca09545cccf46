//! Placeholder until the runner branch lands (replaced on merge).

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::outcome::StepOutcome;
use super::{LogSink, StepExecutor, StepRun};

#[derive(Debug, Default)]
pub struct ProcessExecutor;

impl ProcessExecutor {
    pub fn new() -> Self {
        Self
    }
}

impl StepExecutor for ProcessExecutor {
    fn execute<'a>(&'a self, _run: &'a StepRun, _log: LogSink, _cancel: CancellationToken) -> BoxFuture<'a, StepOutcome> {
        Box::pin(async { StepOutcome::Failed { message: "placeholder".into(), exit_code: None } })
    }
}
