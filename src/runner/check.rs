//! The check engine: probe, report, back off, repeat until satisfied, failed or cancelled.
//!
//! A `Fail` observation does not end the run early: the participant may be fixing things in
//! another terminal while we poll, so only the deadline turns "wrong right now" into a final
//! failure. `Pass` and `Warn` end it at once.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::backoff::{self, Jitter, RandomJitter};
use super::clock::Clock;
use super::human::short_duration;
use super::outcome::{CheckAttempt, CheckReport, Observation, Verdict};
use super::{ProbeContext, Prober};
use crate::lesson::template::{Template, TemplateContext};
use crate::lesson::{CheckSpec, Messages};

/// Runs checks with one prober, clock and source of jitter.
#[derive(Clone, Copy)]
pub struct CheckRunner<'a> {
    prober: &'a dyn Prober,
    clock: &'a dyn Clock,
    jitter: &'a dyn Jitter,
}

impl<'a> CheckRunner<'a> {
    /// A runner with real jitter.
    pub fn new(prober: &'a dyn Prober, clock: &'a dyn Clock) -> Self {
        Self {
            prober,
            clock,
            jitter: &RandomJitter,
        }
    }

    /// Replaces the source of jitter (tests pass [`backoff::FixedJitter`]).
    pub fn with_jitter(self, jitter: &'a dyn Jitter) -> Self {
        Self { jitter, ..self }
    }

    /// Polls `spec` until it passes or warns, its deadline passes, or `cancel` fires.
    ///
    /// `on_attempt` hears about every attempt, the last one included (with `next_in: None`).
    /// The deadline is measured from the start with the clock; the sleep before it is shortened
    /// so the final attempt happens exactly at the deadline, never after it. A probe is bounded
    /// by its own timeout (an HTTP check's `timeout`), so the run can end at most one probe
    /// after the deadline.
    pub async fn run(
        &self,
        spec: &CheckSpec,
        ctx: &ProbeContext,
        cancel: CancellationToken,
        on_attempt: &mut (dyn FnMut(CheckAttempt) + Send),
    ) -> CheckReport {
        let started = self.clock.now();
        let deadline = started + spec.deadline;
        let mut last: Option<Observation> = None;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let observed = tokio::select! {
                biased;
                () = cancel.cancelled() => return cancelled(ctx, last.as_ref(), attempt - 1),
                obs = self.prober.probe(&spec.kind, ctx) => obs,
            };
            let observation =
                Observation::new(observed.verdict, ctx.redactor.redact(&observed.observed));

            if observation.verdict.is_satisfied() {
                let message = satisfied_message(&spec.messages, &observation, ctx);
                return finish(observation, message, attempt, on_attempt);
            }

            let now = self.clock.now();
            let remaining = deadline.saturating_duration_since(now);
            if remaining.is_zero() {
                let waited = now.saturating_duration_since(started);
                let message = failed_message(&spec.messages, &observation, waited, attempt, ctx);
                let report = CheckReport {
                    verdict: Verdict::Fail,
                    observed: observation.observed.clone(),
                    message: message.clone(),
                    attempts: attempt,
                };
                on_attempt(CheckAttempt {
                    attempt,
                    observation,
                    next_in: None,
                    message,
                });
                return report;
            }

            let wait = backoff::delay(&spec.poll, attempt, self.jitter.unit()).min(remaining);
            let message = waiting_message(&spec.messages, &observation, attempt, wait, ctx);
            on_attempt(CheckAttempt {
                attempt,
                observation: observation.clone(),
                next_in: Some(wait),
                message,
            });
            last = Some(observation);
            tokio::select! {
                biased;
                () = cancel.cancelled() => return cancelled(ctx, last.as_ref(), attempt),
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// [`CheckRunner::run`] with real jitter, for callers that need nothing else.
pub async fn run_check(
    spec: &CheckSpec,
    prober: &dyn Prober,
    ctx: &ProbeContext,
    clock: &dyn Clock,
    cancel: CancellationToken,
    on_attempt: &mut (dyn FnMut(CheckAttempt) + Send),
) -> CheckReport {
    CheckRunner::new(prober, clock)
        .run(spec, ctx, cancel, on_attempt)
        .await
}

fn finish(
    observation: Observation,
    message: String,
    attempt: u32,
    on_attempt: &mut (dyn FnMut(CheckAttempt) + Send),
) -> CheckReport {
    let report = CheckReport {
        verdict: observation.verdict,
        observed: observation.observed.clone(),
        message: message.clone(),
        attempts: attempt,
    };
    on_attempt(CheckAttempt {
        attempt,
        observation,
        next_in: None,
        message,
    });
    report
}

fn cancelled(ctx: &ProbeContext, last: Option<&Observation>, attempts: u32) -> CheckReport {
    let observed = last.map(|o| o.observed.clone()).unwrap_or_default();
    let message = if observed.is_empty() {
        "Cancelled by you before the first attempt finished".to_string()
    } else {
        format!("Cancelled by you after {attempts} attempt(s); last seen: {observed}")
    };
    CheckReport {
        verdict: Verdict::Pending,
        observed,
        message: ctx.redactor.redact(&message),
        attempts,
    }
}

fn satisfied_message(messages: &Messages, obs: &Observation, ctx: &ProbeContext) -> String {
    let (custom, default) = if obs.verdict == Verdict::Warn {
        (
            messages.warn.as_deref(),
            format!("Passed with a warning: {}", obs.observed),
        )
    } else {
        (
            messages.pass.as_deref(),
            format!("Passed: {}", obs.observed),
        )
    };
    let text = custom.map_or(default, |t| {
        fill_message(t, &obs.observed, ctx.values.as_ref())
    });
    ctx.redactor.redact(&text)
}

fn waiting_message(
    messages: &Messages,
    obs: &Observation,
    attempt: u32,
    next_in: Duration,
    ctx: &ProbeContext,
) -> String {
    let text = match &messages.pending {
        Some(t) => fill_message(t, &obs.observed, ctx.values.as_ref()),
        None => {
            // Pending is "not there yet"; an interim Fail is "wrong right now, maybe being fixed".
            let lead = if obs.verdict == Verdict::Pending {
                "Still waiting"
            } else {
                "Not right yet"
            };
            format!(
                "{lead}: {} (attempt {attempt}, next in {})",
                obs.observed,
                short_duration(next_in)
            )
        }
    };
    ctx.redactor.redact(&text)
}

fn failed_message(
    messages: &Messages,
    obs: &Observation,
    waited: Duration,
    attempts: u32,
    ctx: &ProbeContext,
) -> String {
    let text = match &messages.fail {
        Some(t) => fill_message(t, &obs.observed, ctx.values.as_ref()),
        None => format!(
            "Failed after {} ({attempts} attempt(s)); last seen: {}",
            short_duration(waited),
            obs.observed
        ),
    };
    ctx.redactor.redact(&text)
}

/// An author's message as the participant reads it: `{{ observed }}` becomes the observation,
/// and the text around it shows outputs and variables like prose does (secrets masked).
pub fn fill_message(template: &str, observed: &str, values: &dyn TemplateContext) -> String {
    let shown =
        |text: &str| Template::parse(text).map_or_else(|_| text.to_string(), |t| t.display(values));
    // Split on the placeholder first: the observation itself is never read as a template.
    const MARK: &str = "\u{0}observed\u{0}";
    fill_observed(template, MARK)
        .split(MARK)
        .map(shown)
        .collect::<Vec<_>>()
        .join(observed)
}

/// Replaces every `{{ observed }}` (any inner spacing) with `observed`; other text stays as is.
pub fn fill_observed(template: &str, observed: &str) -> String {
    let mut out = String::with_capacity(template.len() + observed.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) if after[..close].trim() == "observed" => {
                out.push_str(&rest[..open]);
                out.push_str(observed);
                rest = &after[close + 2..];
            }
            _ => {
                out.push_str(&rest[..open + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_message_shows_outputs_and_the_observation_but_never_reads_the_observation_as_a_template() {
        struct Ctx;
        impl TemplateContext for Ctx {
            fn output(&self, step: &str, name: &str) -> Option<String> {
                (step == "ccloud" && name == "cluster_name").then(|| "cc-1a2b".to_string())
            }
            fn var(&self, _: &str) -> Option<String> {
                None
            }
            fn secret(&self, _: &str) -> Option<String> {
                Some("hunter2".into())
            }
        }
        assert_eq!(
            fill_message(
                "Cluster {{ outputs.ccloud.cluster_name }} is {{ observed }} ({{ secrets.k }})",
                "ready {{ outputs.ccloud.cluster_name }}",
                &Ctx
            ),
            "Cluster cc-1a2b is ready {{ outputs.ccloud.cluster_name }} (••••)"
        );
    }
    use super::*;

    #[test]
    fn fills_observed_with_any_spacing_and_leaves_other_braces() {
        assert_eq!(
            fill_observed("got {{ observed }}!", "HTTP 200"),
            "got HTTP 200!"
        );
        assert_eq!(fill_observed("{{observed}}/{{  observed }}", "x"), "x/x");
        assert_eq!(
            fill_observed("{{ other }} {{ observed", "x"),
            "{{ other }} {{ observed"
        );
        assert_eq!(fill_observed("no braces", "x"), "no braces");
    }
}
