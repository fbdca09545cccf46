//! Redshift: the Data API (JSON 1.1: `ExecuteStatement`, `DescribeStatement`,
//! `GetStatementResult`) and `DescribeClusters` (query protocol).

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{Answer, AwsClient, Call};
use super::error::{AwsError, AwsErrorKind};
use super::xml;
use super::{AwsScope, RedshiftCluster, RedshiftTarget, StatementInfo, StatementRows};

const DATA_SERVICE: &str = "redshift-data";
const REDSHIFT_VERSION: &str = "2012-12-01";

/// One Data API field (`{"longValue": 3}`, `{"stringValue": "x"}`, `{"isNull": true}`, …) as
/// the text a `matches` looks at.
fn field_text(field: &Value) -> String {
    let Some((kind, value)) = field.as_object().and_then(|o| o.iter().next()) else {
        return String::new();
    };
    match (kind.as_str(), value) {
        ("isNull", Value::Bool(true)) => "NULL".to_string(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

pub(crate) fn parse_rows(body: &str) -> Result<StatementRows, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let records = v
        .get("Records")
        .and_then(Value::as_array)
        .ok_or("no `Records` in the result")?;
    let first_row = records
        .first()
        .and_then(Value::as_array)
        .map(|row| row.iter().map(field_text).collect())
        .unwrap_or_default();
    // `TotalNumRows` counts every page; the emulator moto names it `TotalNumberRows`.
    let total_rows = v
        .get("TotalNumRows")
        .or_else(|| v.get("TotalNumberRows"))
        .and_then(Value::as_u64)
        .unwrap_or(records.len() as u64);
    Ok(StatementRows {
        total_rows,
        first_row,
    })
}

pub(crate) fn parse_statement(body: &str) -> Result<StatementInfo, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let status = v
        .get("Status")
        .and_then(Value::as_str)
        .ok_or("no `Status` in the statement")?
        .to_string();
    Ok(StatementInfo {
        status,
        error: v
            .get("Error")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .map(str::to_string),
        has_result_set: v.get("HasResultSet").and_then(Value::as_bool) == Some(true),
    })
}

pub(crate) fn parse_clusters(body: &str) -> Result<Vec<RedshiftCluster>, String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("not XML ({e})"))?;
    Ok(xml::find_all(doc.root_element(), "Cluster")
        .filter_map(|c| {
            Some(RedshiftCluster {
                id: xml::child_text(c, "ClusterIdentifier")?,
                status: xml::child_text(c, "ClusterStatus").unwrap_or_default(),
            })
        })
        .collect())
}

impl AwsClient {
    async fn data_call(
        &self,
        scope: &AwsScope,
        action: &str,
        body: &Value,
    ) -> Result<Answer, AwsError> {
        let mut call = Call::new(DATA_SERVICE, Method::POST);
        call.headers = vec![
            (
                "content-type".into(),
                "application/x-amz-json-1.1".to_string(),
            ),
            ("x-amz-target".into(), format!("RedshiftData.{action}")),
        ];
        call.body = body.to_string().into_bytes();
        self.send(scope, call).await?.ok()
    }

    pub(crate) async fn data_execute(
        &self,
        scope: &AwsScope,
        target: &RedshiftTarget,
        sql: &str,
    ) -> Result<String, AwsError> {
        let body = json!({
            "ClusterIdentifier": target.cluster,
            "Database": target.database,
            "DbUser": target.db_user,
            "Sql": sql,
        });
        let answer = self.data_call(scope, "ExecuteStatement", &body).await?;
        serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("Id").and_then(Value::as_str).map(str::to_string))
            .ok_or_else(|| answer.decode_error("no statement `Id` in the answer"))
    }

    pub(crate) async fn data_describe(
        &self,
        scope: &AwsScope,
        id: &str,
    ) -> Result<StatementInfo, AwsError> {
        let answer = self
            .data_call(scope, "DescribeStatement", &json!({ "Id": id }))
            .await?;
        parse_statement(&answer.body).map_err(|e| answer.decode_error(e))
    }

    pub(crate) async fn data_result(
        &self,
        scope: &AwsScope,
        id: &str,
    ) -> Result<StatementRows, AwsError> {
        let answer = self
            .data_call(scope, "GetStatementResult", &json!({ "Id": id }))
            .await?;
        parse_rows(&answer.body).map_err(|e| answer.decode_error(e))
    }

    pub(crate) async fn redshift_describe_cluster(
        &self,
        scope: &AwsScope,
        id: &str,
    ) -> Result<Option<RedshiftCluster>, AwsError> {
        let call = Call::form(
            "redshift",
            &[
                ("Action", "DescribeClusters"),
                ("Version", REDSHIFT_VERSION),
                ("ClusterIdentifier", id),
            ],
        );
        let answer = match self.send(scope, call).await?.ok() {
            Ok(a) => a,
            Err(e) if e.kind == AwsErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let clusters = parse_clusters(&answer.body).map_err(|e| answer.decode_error(e))?;
        Ok(clusters.into_iter().find(|c| c.id.eq_ignore_ascii_case(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_gives_the_total_and_the_first_row_as_text() {
        let body = r#"{"ColumnMetadata":[{"name":"count"}],"Records":[[{"longValue":42},{"stringValue":"Carsten"},{"isNull":true}]],"TotalNumRows":1}"#;
        assert_eq!(
            parse_rows(body),
            Ok(StatementRows {
                total_rows: 1,
                first_row: vec!["42".into(), "Carsten".into(), "NULL".into()],
            })
        );
        let empty = r#"{"Records":[],"TotalNumRows":0}"#;
        assert_eq!(parse_rows(empty), Ok(StatementRows::default()));
    }

    #[test]
    fn a_failed_statement_carries_redshift_s_error() {
        let body = r#"{"Id":"x","Status":"FAILED","Error":"ERROR: relation \"all_contacts\" does not exist","HasResultSet":false}"#;
        let info = parse_statement(body).unwrap_or_else(|e| StatementInfo {
            status: e,
            error: None,
            has_result_set: false,
        });
        assert_eq!(info.status, "FAILED");
        assert!(info.error.unwrap_or_default().contains("does not exist"));
    }

    #[test]
    fn clusters_are_read_from_the_query_protocol_answer() {
        let body = r#"<DescribeClustersResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/"><DescribeClustersResult><Clusters><Cluster><ClusterIdentifier>cdcworkshop-cluster-1a2b</ClusterIdentifier><ClusterStatus>available</ClusterStatus></Cluster></Clusters></DescribeClustersResult></DescribeClustersResponse>"#;
        assert_eq!(
            parse_clusters(body),
            Ok(vec![RedshiftCluster {
                id: "cdcworkshop-cluster-1a2b".into(),
                status: "available".into()
            }])
        );
    }
}
