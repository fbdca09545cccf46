//! EC2: `DescribeInstances` filtered by one tag (query protocol), every page.

use super::client::{AwsClient, Call};
use super::error::AwsError;
use super::xml;
use super::{AwsScope, Ec2Instance};

const EC2_VERSION: &str = "2016-11-15";
/// Pages read at most: a workshop account holds a handful of tagged instances.
const MAX_PAGES: usize = 20;

pub(crate) fn parse_instances(body: &str) -> Result<(Vec<Ec2Instance>, Option<String>), String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("not XML ({e})"))?;
    let root = doc.root_element();
    let mut out = Vec::new();
    for set in xml::find_all(root, "instancesSet") {
        for item in xml::children(set, "item") {
            let Some(id) = xml::child_text(item, "instanceId") else {
                continue;
            };
            let state = xml::child(item, "instanceState")
                .and_then(|s| xml::child_text(s, "name"))
                .unwrap_or_default();
            let name = xml::child(item, "tagSet").and_then(|tags| {
                xml::children(tags, "item")
                    .find(|t| xml::child_text(*t, "key").as_deref() == Some("Name"))
                    .and_then(|t| xml::child_text(t, "value"))
            });
            out.push(Ec2Instance { id, state, name });
        }
    }
    let next = xml::child_text(root, "nextToken").filter(|t| !t.is_empty());
    Ok((out, next))
}

impl AwsClient {
    pub(crate) async fn ec2_instances_tagged(
        &self,
        scope: &AwsScope,
        key: &str,
        value: &str,
    ) -> Result<Vec<Ec2Instance>, AwsError> {
        let filter = format!("tag:{key}");
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut params = vec![
                ("Action", "DescribeInstances"),
                ("Version", EC2_VERSION),
                ("Filter.1.Name", filter.as_str()),
                ("Filter.1.Value.1", value),
                ("MaxResults", "100"),
            ];
            if let Some(t) = &token {
                params.push(("NextToken", t.as_str()));
            }
            let answer = self.send(scope, Call::form("ec2", &params)).await?.ok()?;
            let (instances, next) =
                parse_instances(&answer.body).map_err(|e| answer.decode_error(e))?;
            all.extend(instances);
            match next {
                Some(n) => token = Some(n),
                None => break,
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_come_with_their_state_and_name_tag() {
        let body = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <reservationSet><item><reservationId>r-1</reservationId><instancesSet>
    <item><instanceId>i-0abc</instanceId><instanceState><code>16</code><name>running</name></instanceState>
      <tagSet><item><key>owner</key><value>me</value></item><item><key>Name</key><value>cdcworkshop-oracle21c-1a2b</value></item></tagSet></item>
    <item><instanceId>i-0def</instanceId><instanceState><code>48</code><name>terminated</name></instanceState></item>
  </instancesSet></item></reservationSet>
  <nextToken>page-2</nextToken>
</DescribeInstancesResponse>"#;
        let (instances, next) = parse_instances(body).unwrap_or_default();
        assert_eq!(
            instances,
            vec![
                Ec2Instance {
                    id: "i-0abc".into(),
                    state: "running".into(),
                    name: Some("cdcworkshop-oracle21c-1a2b".into())
                },
                Ec2Instance {
                    id: "i-0def".into(),
                    state: "terminated".into(),
                    name: None
                },
            ]
        );
        assert_eq!(next.as_deref(), Some("page-2"));
    }
}
