//! `env` checks: a variable of the guide's own process is set, non-empty, and matches.

use regex::Regex;

use crate::lesson::EnvCheck;
use crate::runner::outcome::{Observation, Verdict};

/// Where variable values come from (the process environment unless a test says otherwise).
pub type EnvLookup = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The guide's own environment; a value that is not UTF-8 is read lossily, it still counts as set.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

pub(super) fn probe(check: &EnvCheck, lookup: &EnvLookup) -> Observation {
    let name = &check.name;
    let Some(value) = lookup(name) else {
        return Observation::new(Verdict::Fail, format!("{name} is not set"));
    };
    if value.is_empty() {
        return Observation::new(Verdict::Fail, format!("{name} is set but empty"));
    }
    // A secret is only ever described by its length; everything else may be shown.
    let shown = if check.secret {
        format!("{name} is set ({} chars)", value.chars().count())
    } else {
        format!("{name}={value}")
    };
    let Some(pattern) = &check.matches else {
        return Observation::new(Verdict::Pass, shown);
    };
    match Regex::new(pattern) {
        Ok(re) if re.is_match(&value) => {
            Observation::new(Verdict::Pass, format!("{shown}, matches /{pattern}/"))
        }
        Ok(_) => Observation::new(
            Verdict::Fail,
            format!("{shown}, does not match /{pattern}/"),
        ),
        Err(e) => Observation::new(
            Verdict::Fail,
            format!("the check's pattern /{pattern}/ for {name} is invalid: {e}"),
        ),
    }
}
