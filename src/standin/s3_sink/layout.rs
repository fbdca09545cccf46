//! Where the S3 sink's files go and when they close: the connector's config as the job reads
//! it, `path.format` for a record's time, and the real connector's object names.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

/// The connector's defaults when the config leaves them out.
pub(super) const DEFAULT_FLUSH_SIZE: usize = 1000;
const DEFAULT_PATH_FORMAT: &str = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";

/// What the job needs of the connector's config.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SinkConfig {
    pub(super) topics: Vec<String>,
    pub(super) bucket: String,
    pub(super) region: String,
    pub(super) access_key_id: String,
    pub(super) secret_access_key: String,
    pub(super) topics_dir: String,
    pub(super) path_format: String,
    pub(super) flush_size: usize,
    pub(super) rotate: Option<Duration>,
}

impl SinkConfig {
    pub(super) fn of(config: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| {
            config
                .get(k)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        let or = |k: &str, default: &str| {
            Some(get(k))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        Self {
            topics: get("topics")
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect(),
            bucket: get("s3.bucket.name"),
            region: or("s3.region", "us-west-2"),
            access_key_id: get("aws.access.key.id"),
            secret_access_key: get("aws.secret.access.key"),
            topics_dir: or("topics.dir", "topics").trim_matches('/').to_string(),
            path_format: or("path.format", DEFAULT_PATH_FORMAT),
            flush_size: get("flush.size")
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .unwrap_or(DEFAULT_FLUSH_SIZE),
            // -1 (the default) switches the scheduled rotation off.
            rotate: get("rotate.schedule.interval.ms")
                .parse::<u64>()
                .ok()
                .filter(|ms| *ms > 0)
                .map(Duration::from_millis),
        }
    }
}

/// `path.format` (Joda-style: `'literal'`, `YYYY`/`yyyy`, `MM`, `dd`, `HH`, `mm`) for a time in
/// milliseconds since the epoch, in UTC as the lesson configures `timezone`.
pub(super) fn encode_path(format: &str, ms: i64) -> String {
    let secs = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    // `2026-12-02T13:05:09Z`: fixed positions for every field.
    let t = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string();
    let field = |from: usize, to: usize| t.get(from..to).unwrap_or("00").to_string();
    let mut out = String::new();
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            let body = &rest[1..];
            let end = body.find('\'').unwrap_or(body.len());
            out.push_str(&body[..end]);
            rest = body.get(end + 1..).unwrap_or("");
            continue;
        }
        let tokens: [(&str, String); 6] = [
            ("YYYY", field(0, 4)),
            ("yyyy", field(0, 4)),
            ("MM", field(5, 7)),
            ("dd", field(8, 10)),
            ("HH", field(11, 13)),
            ("mm", field(14, 16)),
        ];
        match tokens.iter().find(|(tok, _)| rest.starts_with(tok)) {
            Some((tok, value)) => {
                out.push_str(value);
                rest = &rest[tok.len()..];
            }
            None => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// The object key of a file, as the real connector names it.
pub(super) fn object_key(
    config: &SinkConfig,
    topic: &str,
    path: &str,
    partition: i32,
    start: i64,
) -> String {
    let name = format!("{topic}+{partition}+{start:010}.avro");
    let folder = [config.topics_dir.as_str(), topic, path]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    format!("{folder}/{name}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn lesson() -> BTreeMap<String, String> {
        [
            ("connector.class", "S3_SINK"),
            ("topics", "all_products"),
            ("s3.bucket.name", "cmcdc-workshop-1a2b"),
            ("s3.region", "eu-central-1"),
            ("aws.access.key.id", "AKIAEXAMPLE"),
            ("aws.secret.access.key", "secret"),
            ("topics.dir", "topics"),
            ("path.format", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH"),
            ("flush.size", "100"),
            ("rotate.schedule.interval.ms", "60000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn the_lessons_config_gives_hourly_folders_and_the_real_connectors_file_names() {
        let config = SinkConfig::of(&lesson());
        assert_eq!(config.topics, ["all_products"]);
        assert_eq!(config.flush_size, 100);
        assert_eq!(config.rotate, Some(Duration::from_secs(60)));
        // 2026-12-02T13:05:09.123Z
        let path = encode_path(&config.path_format, 1_796_216_709_123);
        assert_eq!(path, "year=2026/month=12/day=02/hour=13");
        assert_eq!(
            object_key(&config, "all_products", &path, 0, 200),
            "topics/all_products/year=2026/month=12/day=02/hour=13/all_products+0+0000000200.avro"
        );
    }

    #[test]
    fn defaults_fill_what_the_config_leaves_out() {
        let mut raw = lesson();
        raw.remove("flush.size");
        raw.insert("rotate.schedule.interval.ms".into(), "-1".into());
        raw.insert("topics".into(), "a, b,".into());
        let config = SinkConfig::of(&raw);
        assert_eq!(config.flush_size, DEFAULT_FLUSH_SIZE);
        assert_eq!(config.rotate, None);
        assert_eq!(config.topics, ["a", "b"]);
        assert_eq!(
            encode_path("'dt'=yyyy-MM-dd/'hm'=HHmm", 0),
            "dt=1970-01-01/hm=0000"
        );
    }
}
