//! Placeholder until the runner branch lands (replaced on merge).

use futures::future::BoxFuture;

use super::outcome::{Observation, Verdict};
use super::{ProbeContext, Prober};
use crate::lesson::CheckKind;

#[derive(Debug, Default)]
pub struct LiveProber;

impl LiveProber {
    pub fn new() -> Self {
        Self
    }
}

impl Prober for LiveProber {
    fn probe<'a>(&'a self, _kind: &'a CheckKind, _ctx: &'a ProbeContext) -> BoxFuture<'a, Observation> {
        Box::pin(async { Observation::new(Verdict::Fail, "placeholder") })
    }
}
