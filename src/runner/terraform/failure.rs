//! Why a terraform run failed, in one message a participant can act on.

use crate::backend::terraform::cli::RunResult;
use crate::backend::terraform::ui::Diagnostic;

/// The failure of `terraform <command>` in `module`: a held lock, an unreachable registry, or
/// the first error diagnostic with its detail and source position.
pub fn describe_failure(module: &str, command: &str, result: &RunResult) -> String {
    let p = &result.progress;
    if let Some(lock) = &p.lock {
        return format!(
            "the state of module `{module}` is locked by {who} since {created} ({operation}, lock ID {id}): another Terraform run is using it. Retrying waits up to {wait} for it; if that run is gone, force-unlock it (U in the guide) once you are sure",
            who = or_unknown(&lock.who),
            created = or_unknown(&lock.created),
            operation = or_unknown(&lock.operation),
            id = lock.id,
            wait = wait_for_lock(),
        );
    }
    if p.registry_unreachable {
        return format!(
            "terraform {command} of module `{module}` could not reach the provider registry to download providers: check the network connection or proxy (HTTPS_PROXY), then retry"
        );
    }
    if let Some(d) = p.errors().next() {
        let more = p.errors().count().saturating_sub(1);
        let more = if more > 0 {
            format!(" (and {more} more error(s) in the log)")
        } else {
            String::new()
        };
        return format!(
            "terraform {command} of module `{module}` failed: {}{more}",
            diagnostic_line(d)
        );
    }
    let code = result
        .exit_code
        .map_or_else(|| "a signal".to_string(), |c| format!("code {c}"));
    format!(
        "terraform {command} of module `{module}` exited with {code}; the log above shows its output"
    )
}

/// `summary: detail (file:line)` on one line.
pub fn diagnostic_line(d: &Diagnostic) -> String {
    let detail = d.detail.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut line = d.summary.clone();
    if !detail.is_empty() {
        line.push_str(": ");
        line.push_str(&detail);
    }
    if let Some(r) = &d.range {
        line.push_str(&format!(" ({}:{})", r.filename, r.start.line));
    }
    line
}

/// How long a retry waits for the lock, as the message says it.
fn wait_for_lock() -> String {
    let minutes = super::LOCK_WAIT_SECS / 60;
    format!("{minutes} minutes")
}

fn or_unknown(s: &str) -> &str {
    if s.trim().is_empty() { "(unknown)" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::terraform::progress::ApplyProgress;
    use crate::backend::terraform::ui::parse_line;

    fn result_of(lines: &[&str]) -> RunResult {
        let mut progress = ApplyProgress::default();
        for l in lines {
            progress.apply(&parse_line(l));
        }
        RunResult {
            exit_code: Some(1),
            progress,
            interrupted: false,
            killed: false,
        }
    }

    #[test]
    fn the_first_error_names_summary_detail_and_position() {
        let r = result_of(&[
            r#"{"@level":"error","@message":"Error: boom","type":"diagnostic","diagnostic":{"severity":"error","summary":"local-exec provisioner error","detail":"Error running command 'exit 3':\nexit status 3.","range":{"filename":"main.tf","start":{"line":7,"column":3,"byte":0},"end":{"line":7,"column":9,"byte":6}}}}"#,
        ]);
        assert_eq!(
            describe_failure("demo", "apply", &r),
            "terraform apply of module `demo` failed: local-exec provisioner error: Error running command 'exit 3': exit status 3. (main.tf:7)"
        );
    }

    #[test]
    fn a_bare_exit_points_at_the_log() {
        let r = result_of(&[]);
        assert!(describe_failure("demo", "init", &r).contains("exited with code 1"));
    }
}
