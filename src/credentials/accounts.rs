//! The upstream workshop's `.accounts` file: `export NAME="value"` lines, comments, blank
//! lines. Each known name maps to a credential or a course variable of the guide; the rest is
//! reported as ignored, with why.

use std::path::Path;

use thiserror::Error;

use super::Secret;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One `NAME=value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub value: String,
    pub line: usize,
    /// A correction applied to the value (the upstream `==` typo), for the report.
    pub fixed: Option<String>,
}

fn is_name(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parse the whole file; every malformed line is reported with its number.
pub fn parse(file: &Path, text: &str) -> Result<Vec<Assignment>, Vec<ParseError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let err = |line: usize, message: String| ParseError {
        file: file.display().to_string(),
        line,
        message,
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let body = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, rest)) = body.split_once('=') else {
            errors.push(err(
                n,
                format!(
                    "expected `export NAME=\"value\"`, found `{}`",
                    first_word(line)
                ),
            ));
            continue;
        };
        let name = name.trim();
        if !is_name(name) {
            errors.push(err(
                n,
                format!("`{name}` is not a variable name; expected `export NAME=\"value\"`"),
            ));
            continue;
        }
        // The upstream Azure template writes `publicsshkey==…`: the value would start with `=`.
        let (rest, fixed) = match rest.strip_prefix('=') {
            Some(r) => (
                r,
                Some(format!(
                    "line {n}: `{name}==` has one `=` too many (an upstream typo); imported without it"
                )),
            ),
            None => (rest, None),
        };
        let value = match unquote(rest.trim()) {
            Ok(v) => v,
            Err(why) => {
                errors.push(err(
                    n,
                    format!("the value of `{name}` {why}; expected `export {name}=\"value\"`"),
                ));
                continue;
            }
        };
        out.push(Assignment {
            name: name.to_string(),
            value,
            line: n,
            fixed,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or(line)
}

fn unquote(v: &str) -> Result<String, &'static str> {
    if let Some(inner) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.extend(chars.next()),
                '"' => {
                    let tail = chars.as_str().trim();
                    return if tail.is_empty() || tail.starts_with('#') {
                        Ok(out)
                    } else {
                        Err("has text after its closing quote")
                    };
                }
                c => out.push(c),
            }
        }
        return Err("opens a double quote that never closes");
    }
    if let Some(inner) = v.strip_prefix('\'') {
        return match inner.split_once('\'') {
            Some((value, tail)) if tail.trim().is_empty() || tail.trim().starts_with('#') => {
                Ok(value.to_string())
            }
            Some(_) => Err("has text after its closing quote"),
            None => Err("opens a single quote that never closes"),
        };
    }
    // Unquoted: up to a comment or the first space (what the shell would take).
    let bare = v.split(" #").next().unwrap_or(v).trim();
    if bare.contains(char::is_whitespace) {
        return Err("has spaces but no quotes");
    }
    Ok(bare.to_string())
}

/// What an upstream name becomes in the guide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A credential, stored in the credential store under this name.
    Credential(&'static str),
    /// A course variable (a setting, not a secret).
    Variable(&'static str),
    Ignored(&'static str),
}

/// The upstream names (with or without `TF_VAR_`) the guide knows.
pub fn target(upstream: &str) -> Target {
    let name = upstream.strip_prefix("TF_VAR_").unwrap_or(upstream);
    match name {
        "confluent_cloud_api_key" => Target::Credential("confluent_cloud_api_key"),
        "confluent_cloud_api_secret" => Target::Credential("confluent_cloud_api_secret"),
        "aws_access_key" => Target::Credential("aws_access_key_id"),
        "aws_secret_key" => Target::Credential("aws_secret_access_key"),
        "sf_user" => Target::Credential("salesforce_user"),
        "sf_password" => Target::Credential("salesforce_password"),
        "sf_password_token" => Target::Credential("salesforce_security_token"),
        "sf_consumer_key" => Target::Credential("salesforce_consumer_key"),
        "sf_consumer_secret" => Target::Credential("salesforce_consumer_secret"),
        "OPENAI_API_KEY" => Target::Credential("openai_api_key"),
        "gcp_credentials" => Target::Variable("gcp_credentials_file"),
        "aws_region" => Target::Variable("aws_region"),
        "cloud_provider" => Target::Ignored(
            "an upstream typo: Terraform never read TF_VAR_cloud_provider; the guide takes the cloud from the track you choose",
        ),
        "cc_cloud_provider" => {
            Target::Ignored("the guide takes the cloud from the track you choose")
        }
        "cc_env_name" | "cc_cluster_name" | "sr_package" => {
            Target::Ignored("the guide's own Terraform modules name these resources")
        }
        "cc_cloud_region" => Target::Ignored(
            "the guide uses the region of your cloud (aws_region, gcp_region or azure_region)",
        ),
        "myip" | "allowed_cidr_blocks" => {
            Target::Ignored("the guide detects your public IP itself (see `cdc-workshop doctor`)")
        }
        _ => Target::Ignored("the guide does not use it"),
    }
}

/// Import results, for the report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// (credential, value, upstream name, line)
    pub credentials: Vec<(String, Secret, String, usize)>,
    /// (variable, value, upstream name, line)
    pub variables: Vec<(String, String, String, usize)>,
    /// (upstream name, why, line)
    pub ignored: Vec<(String, String, usize)>,
    pub fixes: Vec<String>,
}

pub fn plan(assignments: Vec<Assignment>) -> Plan {
    let mut p = Plan::default();
    for a in assignments {
        if let Some(f) = a.fixed.clone() {
            p.fixes.push(f);
        }
        match target(&a.name) {
            Target::Credential(c) => {
                // A later line wins, as in the shell.
                p.credentials.retain(|(n, ..)| n != c);
                p.credentials
                    .push((c.to_string(), Secret::new(a.value), a.name, a.line));
            }
            Target::Variable(v) => {
                p.variables.retain(|(n, ..)| n != v);
                p.variables.push((v.to_string(), a.value, a.name, a.line));
            }
            Target::Ignored(why) => p.ignored.push((a.name, why.to_string(), a.line)),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ACCOUNTS: &str = r#"# Confluent Cloud
export TF_VAR_confluent_cloud_api_key="ABCDEFGH12345678"
export TF_VAR_confluent_cloud_api_secret='s3cr3t+/with=signs'
export TF_VAR_cc_cloud_region="eu-central-1"
export TF_VAR_cloud_provider="AWS"   # sets nothing upstream

# AWS
export aws_access_key=AKIAEXAMPLE123
export aws_secret_key="wJalr\"quoted\"EXAMPLE"
export aws_region="eu-central-1"
export TF_VAR_publicsshkey=="~/keys/sshkeycdcworkshop.pub"
export sf_password="p@ss word"
"#;

    #[test]
    fn a_realistic_accounts_file_maps_to_credentials_variables_and_reasons() {
        let parsed = parse(Path::new(".accounts"), ACCOUNTS).unwrap();
        let p = plan(parsed);
        let creds: Vec<(&str, &str, usize)> = p
            .credentials
            .iter()
            .map(|(n, v, _, l)| (n.as_str(), v.expose(), *l))
            .collect();
        assert_eq!(
            creds,
            vec![
                ("confluent_cloud_api_key", "ABCDEFGH12345678", 2),
                ("confluent_cloud_api_secret", "s3cr3t+/with=signs", 3),
                ("aws_access_key_id", "AKIAEXAMPLE123", 8),
                ("aws_secret_access_key", "wJalr\"quoted\"EXAMPLE", 9),
                ("salesforce_password", "p@ss word", 12),
            ]
        );
        assert_eq!(
            p.variables,
            vec![(
                "aws_region".into(),
                "eu-central-1".into(),
                "aws_region".into(),
                10
            )]
        );
        let ignored: Vec<&str> = p.ignored.iter().map(|(n, ..)| n.as_str()).collect();
        assert_eq!(
            ignored,
            vec![
                "TF_VAR_cc_cloud_region",
                "TF_VAR_cloud_provider",
                "TF_VAR_publicsshkey"
            ]
        );
        assert!(p.ignored[1].1.starts_with("an upstream typo"));
        assert_eq!(p.fixes.len(), 1);
        assert!(
            p.fixes[0].starts_with("line 11: `TF_VAR_publicsshkey==` has one `=` too many"),
            "{:?}",
            p.fixes
        );
    }

    #[test]
    fn malformed_lines_are_reported_with_file_line_and_what_was_expected() {
        let text = "export GOOD=\"x\"\nexport BROKEN \"x\"\nexport OPEN=\"never closed\nexport 9BAD=\"x\"\nexport SPACED=a b\n";
        let errors = parse(Path::new("/home/me/.accounts"), text).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "/home/me/.accounts:2: expected `export NAME=\"value\"`, found `export`",
                "/home/me/.accounts:3: the value of `OPEN` opens a double quote that never closes; expected `export OPEN=\"value\"`",
                "/home/me/.accounts:4: `9BAD` is not a variable name; expected `export NAME=\"value\"`",
                "/home/me/.accounts:5: the value of `SPACED` has spaces but no quotes; expected `export SPACED=\"value\"`",
            ]
        );
    }
}
