//! What the lesson screen knows about a terraform step while (and after) it runs: the folded
//! `-json` stream plus the guide's own clock, so elapsed times keep moving between Terraform's
//! reports (it only reports a long-running resource every 10 s).

use std::collections::BTreeMap;

use crate::backend::terraform::progress::ApplyProgress;
use crate::backend::terraform::ui::UiMessage;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provision {
    pub progress: ApplyProgress,
    /// `now_ms` when the first message of this attempt arrived.
    pub started_ms: u64,
    /// `now_ms` when each resource started (by address), for live elapsed timers.
    pub resource_started_ms: BTreeMap<String, u64>,
    /// `now_ms` when the step finished; `None` while it runs.
    pub finished_ms: Option<u64>,
}

impl Provision {
    pub fn new(now_ms: u64) -> Self {
        Self {
            started_ms: now_ms,
            ..Self::default()
        }
    }

    pub fn apply(&mut self, msg: &UiMessage, now_ms: u64) {
        if let UiMessage::ApplyStart(h) = msg {
            self.resource_started_ms
                .entry(h.resource.addr.clone())
                .or_insert(now_ms);
        }
        self.progress.apply(msg);
    }

    pub fn running(&self) -> bool {
        self.finished_ms.is_none()
    }

    /// How long the whole run has taken so far (or took).
    pub fn elapsed_ms(&self, now_ms: u64) -> u64 {
        self.finished_ms
            .unwrap_or(now_ms)
            .saturating_sub(self.started_ms)
    }

    /// A resource's elapsed seconds: Terraform's own figure, or the guide's clock when that is
    /// further along (between Terraform's 10-second reports).
    pub fn resource_elapsed_secs(&self, addr: &str, now_ms: u64) -> u64 {
        let reported = self
            .progress
            .resources
            .get(addr)
            .map_or(0, |r| r.elapsed_secs);
        let applying = self.progress.resources.get(addr).is_some_and(|r| {
            r.state == crate::backend::terraform::progress::ResourceState::Applying
        });
        let observed = match (applying, self.resource_started_ms.get(addr)) {
            (true, Some(start)) => self.finished_ms.unwrap_or(now_ms).saturating_sub(*start) / 1000,
            _ => 0,
        };
        reported.max(observed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::ui::parse_line;

    #[test]
    fn elapsed_time_moves_between_terraform_reports() {
        let mut p = Provision::new(1_000);
        let start = parse_line(
            r#"{"@level":"info","@message":"x: Creating...","type":"apply_start","hook":{"resource":{"addr":"terraform_data.slow","module":"","resource":"terraform_data.slow","resource_type":"terraform_data","resource_name":"slow","resource_key":null},"action":"create"}}"#,
        );
        p.apply(&start, 2_000);
        assert_eq!(p.resource_elapsed_secs("terraform_data.slow", 9_500), 7);
        let progress = parse_line(
            r#"{"@level":"info","@message":"x: Still creating... [10s elapsed]","type":"apply_progress","hook":{"resource":{"addr":"terraform_data.slow","module":"","resource":"terraform_data.slow","resource_type":"terraform_data","resource_name":"slow","resource_key":null},"action":"create","elapsed_seconds":10}}"#,
        );
        p.apply(&progress, 10_000);
        assert_eq!(p.resource_elapsed_secs("terraform_data.slow", 10_000), 10);
        assert_eq!(p.elapsed_ms(12_000), 11_000);
        p.finished_ms = Some(12_000);
        assert_eq!(
            p.elapsed_ms(60_000),
            11_000,
            "a finished run stops its clock"
        );
    }
}
