//! Placeholder until the runner branch lands (replaced on merge).

use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::outcome::{CheckAttempt, CheckReport};
use super::{ProbeContext, Prober};
use crate::lesson::CheckSpec;

pub async fn run_check(
    spec: &CheckSpec,
    prober: &dyn Prober,
    ctx: &ProbeContext,
    _clock: &dyn Clock,
    _cancel: CancellationToken,
    on_attempt: &mut (dyn FnMut(CheckAttempt) + Send),
) -> CheckReport {
    let observation = prober.probe(&spec.kind, ctx).await;
    on_attempt(CheckAttempt { attempt: 1, observation: observation.clone(), next_in: None, message: String::new() });
    CheckReport { verdict: observation.verdict, observed: observation.observed, message: String::new(), attempts: 1 }
}
