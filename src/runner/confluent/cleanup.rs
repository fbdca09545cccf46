//! Removing a resource the ledger recorded (teardown): delete it where it was created, then
//! look until the API no longer lists it. Already gone counts as removed.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{ResolvedScope, STATEMENT_POLL_INTERVAL_MS, explain};
use crate::backend::confluent::{ApiError, ConfluentApi, Scope};
use crate::ledger::{ApiKind, ApiResourceEntry, ApiScopeIds};

/// Looks after a delete before calling the resource still there (a statement is DELETING
/// for a few seconds; 15 × 2 s is generous).
pub const GONE_WAIT_POLLS: u32 = 15;

/// How a recorded resource went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removed {
    /// Deleted now, and no longer listed.
    Deleted,
    /// It was not there any more (404, or the 403 Confluent answers for deleted resources).
    AlreadyGone,
}

impl Removed {
    pub fn name(self) -> &'static str {
        match self {
            Removed::Deleted => "deleted",
            Removed::AlreadyGone => "already_gone",
        }
    }
}

/// The scope the resource lives in: the rendered `[confluent]` table for URLs and keys, the
/// ids recorded with the resource for where (they win: the course's values may have moved on).
pub(super) fn scope_of(resolved: &ResolvedScope, ids: &ApiScopeIds) -> ResolvedScope {
    let mut out = resolved.clone();
    let s = &mut out.scope;
    for (field, id) in [
        (&mut s.organization, &ids.organization),
        (&mut s.environment, &ids.environment),
        (&mut s.cluster, &ids.cluster),
        (&mut s.compute_pool, &ids.compute_pool),
    ] {
        if id.is_some() {
            field.clone_from(id);
        }
    }
    out
}

/// The ids of `scope` that a resource of `kind` lives in, for the ledger.
pub(super) fn ids_of(kind: ApiKind, scope: &Scope) -> ApiScopeIds {
    ApiScopeIds {
        organization: (kind != ApiKind::Connector)
            .then(|| scope.organization.clone())
            .flatten(),
        environment: scope.environment.clone(),
        cluster: (kind == ApiKind::Connector)
            .then(|| scope.cluster.clone())
            .flatten(),
        compute_pool: (kind == ApiKind::FlinkStatement)
            .then(|| scope.compute_pool.clone())
            .flatten(),
    }
}

pub(super) async fn remove(
    api: &dyn ConfluentApi,
    resolved: &ResolvedScope,
    entry: &ApiResourceEntry,
    cancel: &CancellationToken,
) -> Result<Removed, String> {
    let resolved = scope_of(resolved, &entry.ids);
    let scope = &resolved.scope;
    let name = entry.name.as_str();
    let deleted = match entry.kind {
        ApiKind::Connector => api.delete_connector(scope, name).await,
        ApiKind::FlinkStatement => api.delete_statement(scope, name).await,
        ApiKind::FlinkConnection => api.delete_flink_connection(scope, name).await,
    };
    match deleted {
        Ok(()) => {}
        Err(e) if e.is_gone() => return Ok(Removed::AlreadyGone),
        Err(e) => return Err(explain(&e, &resolved)),
    }
    for poll in 0..GONE_WAIT_POLLS {
        if poll > 0 {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    return Err(format!(
                        "interrupted while waiting for the {} to disappear; run teardown again to check",
                        entry.kind.label()
                    ));
                }
                () = tokio::time::sleep(Duration::from_millis(STATEMENT_POLL_INTERVAL_MS)) => {}
            }
        }
        match still_there(api, scope, entry).await {
            Ok(false) => return Ok(Removed::Deleted),
            Ok(true) => {}
            Err(e) if e.is_gone() => return Ok(Removed::Deleted),
            Err(e) if e.is_transient() => {}
            Err(e) => return Err(explain(&e, &resolved)),
        }
    }
    Err(format!(
        "the {} was deleted but is still listed after {} s; run `cdc-workshop teardown` again in a minute",
        entry.kind.label(),
        u64::from(GONE_WAIT_POLLS) * STATEMENT_POLL_INTERVAL_MS / 1000
    ))
}

async fn still_there(
    api: &dyn ConfluentApi,
    scope: &Scope,
    entry: &ApiResourceEntry,
) -> Result<bool, ApiError> {
    let name = entry.name.as_str();
    Ok(match entry.kind {
        ApiKind::Connector => api.connector_status(scope, name).await?.state != "DELETED",
        ApiKind::FlinkStatement => api.statement(scope, name).await?.is_some(),
        ApiKind::FlinkConnection => api.flink_connection(scope, name).await?.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_ids_win_over_the_rendered_table_and_each_kind_keeps_only_its_own() {
        let resolved = ResolvedScope {
            scope: Scope {
                organization: Some("org-now".into()),
                environment: Some("env-now".into()),
                cluster: Some("lkc-now".into()),
                compute_pool: Some("lfcp-now".into()),
                ..Scope::default()
            },
            ..ResolvedScope::default()
        };
        let connector = ids_of(ApiKind::Connector, &resolved.scope);
        assert_eq!(
            connector,
            ApiScopeIds {
                organization: None,
                environment: Some("env-now".into()),
                cluster: Some("lkc-now".into()),
                compute_pool: None,
            }
        );
        let statement = ids_of(ApiKind::FlinkStatement, &resolved.scope);
        assert_eq!(statement.compute_pool.as_deref(), Some("lfcp-now"));
        assert_eq!(statement.cluster, None);

        let then = ApiScopeIds {
            environment: Some("env-then".into()),
            cluster: Some("lkc-then".into()),
            ..ApiScopeIds::default()
        };
        let s = scope_of(&resolved, &then).scope;
        assert_eq!(s.environment.as_deref(), Some("env-then"));
        assert_eq!(s.cluster.as_deref(), Some("lkc-then"));
        assert_eq!(s.organization.as_deref(), Some("org-now"));
    }
}
