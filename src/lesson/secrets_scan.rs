//! Credentials pasted into lesson text: found by shape, line by line, anywhere in a file.
//!
//! Lessons are published and embedded in the binary, so a real key written into one leaks to
//! everyone. The scan runs over the raw text (prose, code fences and TOML bodies alike) so the
//! line it reports is exact. Obvious placeholders (`<your key>`, `xxxx`, `…EXAMPLE`) pass.

use std::sync::LazyLock;

use regex::Regex;

/// Shapes that are credentials on their own.
const SHAPES: &[(&str, &str)] = &[
    (r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b", "an AWS access key id"),
    (
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----",
        "a PEM private key",
    ),
    (r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}", "an OpenAI API key"),
    (
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}|\bgithub_pat_[A-Za-z0-9_]{22,}",
        "a GitHub token",
    ),
    (r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "a Slack token"),
];

/// `NAME=value` where the name says the value is a credential (shell assignments in prose).
const ASSIGNMENT: &str = r#"(?i)\b([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|API_KEY|APIKEY)[A-Z0-9_]*)=("[^"]*"|'[^']*'|[^\s`]+)"#;

/// A Confluent API key: 16 characters of upper-case letters and digits.
const CONFLUENT_KEY: &str = r"\b[A-Z0-9]{16}\b";
/// Base64-looking runs; a Confluent API secret is exactly 64 of these characters.
const BASE64_RUN: &str = r"[A-Za-z0-9+/]+";

static SHAPE_RES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    SHAPES
        .iter()
        .filter_map(|(re, what)| Regex::new(re).ok().map(|r| (r, *what)))
        .collect()
});
static ASSIGNMENT_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(ASSIGNMENT).ok());
static CONFLUENT_KEY_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(CONFLUENT_KEY).ok());
static BASE64_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(BASE64_RUN).ok());

/// One finding: 0-based line index in the scanned text and what it looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub line: usize,
    pub what: String,
}

impl Finding {
    /// The diagnostic text: what was found and what to do instead.
    pub fn message(&self) -> String {
        format!(
            "this line contains what looks like {}; never write credentials into a lesson: declare a secret in course.toml and use `{{{{ secrets.NAME }}}}` in a shell step's `env` or an http check's `headers` (for an example, write a placeholder such as `<your key>`)",
            self.what
        )
    }
}

/// Whether a value is clearly not a real credential.
pub(crate) fn is_placeholder(value: &str) -> bool {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let lower = v.to_ascii_lowercase();
    v.is_empty()
        || v.starts_with('$')
        || v.contains("{{")
        || (v.starts_with('<') && v.ends_with('>'))
        || v.chars()
            .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '•'))
        || lower.contains("xxxx")
        || lower.contains("example")
        || lower.starts_with("your")
        || lower.contains("placeholder")
        || lower.contains("redacted")
}

fn looks_placeholder(found: &str) -> bool {
    let lower = found.to_ascii_lowercase();
    lower.contains("xxxx") || lower.contains("example")
}

/// Every line of `text` holding something shaped like a credential.
pub(crate) fn scan(text: &str) -> Vec<Finding> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for (re, what) in SHAPE_RES.iter() {
            if re.find_iter(line).any(|m| !looks_placeholder(m.as_str())) {
                out.push(Finding {
                    line: i,
                    what: (*what).to_string(),
                });
            }
        }
        if let Some(re) = ASSIGNMENT_RE.as_ref() {
            for cap in re.captures_iter(line) {
                let value = cap.get(2).map_or("", |m| m.as_str());
                if !is_placeholder(value) {
                    let name = cap.get(1).map_or("", |m| m.as_str());
                    out.push(Finding {
                        line: i,
                        what: format!("a literal value for `{name}`"),
                    });
                }
            }
        }
        if has_confluent_secret(line) && confluent_key_near(&lines, i) {
            out.push(Finding {
                line: i,
                what: "a Confluent API key and secret".to_string(),
            });
        }
    }
    out
}

/// A run of exactly 64 base64 characters (plus padding) mixing upper, lower case and digits;
/// hex digests (lower case only) and prose never look like that.
fn has_confluent_secret(line: &str) -> bool {
    let Some(re) = BASE64_RE.as_ref() else {
        return false;
    };
    re.find_iter(line).any(|m| {
        let s = m.as_str();
        s.len() == 64
            && s.chars().any(|c| c.is_ascii_uppercase())
            && s.chars().any(|c| c.is_ascii_lowercase())
            && s.chars().any(|c| c.is_ascii_digit())
            && !looks_placeholder(s)
    })
}

fn confluent_key_near(lines: &[&str], i: usize) -> bool {
    let Some(re) = CONFLUENT_KEY_RE.as_ref() else {
        return false;
    };
    let from = i.saturating_sub(2);
    let to = (i + 3).min(lines.len());
    lines[from..to].iter().any(|l| {
        re.find_iter(l).any(|m| {
            let s = m.as_str();
            s.chars().any(|c| c.is_ascii_digit())
                && s.chars().any(|c| c.is_ascii_uppercase())
                && !looks_placeholder(s)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whats(text: &str) -> Vec<(usize, String)> {
        scan(text).into_iter().map(|f| (f.line, f.what)).collect()
    }

    #[test]
    fn every_pattern_compiles() {
        assert_eq!(SHAPE_RES.len(), SHAPES.len());
        assert!(ASSIGNMENT_RE.is_some());
        assert!(CONFLUENT_KEY_RE.is_some());
        assert!(BASE64_RE.is_some());
    }

    #[test]
    fn finds_each_shape_on_its_line() {
        // Assembled at run time so this file itself never holds a credential-shaped string.
        let aws = format!("AKIA{}", "Q7ZP4M2LW9ET3RHB");
        let pem = format!("-----BEGIN RSA {} KEY-----", "PRIVATE");
        let openai = format!("sk-{}", "a1B2c3D4e5F6g7H8i9J0k1L2");
        let gh = format!("ghp_{}", "a".repeat(36));
        let slack = format!("xoxb-{}", "1234567890-abc");
        let text = format!("intro\n{aws}\n{pem}\nkey: {openai}\n{gh}\n{slack}\n");
        let found = whats(&text);
        assert_eq!(
            found,
            vec![
                (1, "an AWS access key id".to_string()),
                (2, "a PEM private key".to_string()),
                (3, "an OpenAI API key".to_string()),
                (4, "a GitHub token".to_string()),
                (5, "a Slack token".to_string()),
            ]
        );
    }

    #[test]
    fn finds_a_confluent_pair_and_password_assignments() {
        let key = "Q7ZP4M2LW9ET3RHB";
        let secret = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9rS1tU3v";
        assert_eq!(secret.len(), 64);
        let text = format!("key {key}\nsecret {secret}\nexport DB_PASSWORD=hunter2\n");
        let found = whats(&text);
        assert_eq!(
            found,
            vec![
                (1, "a Confluent API key and secret".to_string()),
                (2, "a literal value for `DB_PASSWORD`".to_string()),
            ]
        );
    }

    #[test]
    fn placeholders_and_ordinary_text_pass() {
        let text = "export TF_VAR_confluent_cloud_api_secret=\"<your secret>\"\n\
                    AWS_SECRET_ACCESS_KEY=xxxxxxxx\n\
                    TOKEN=$MY_TOKEN\n\
                    AKIAXXXXXXXXXXXXXXXX and AKIAIOSFODNN7EXAMPLE\n\
                    sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
                    the password is set with `secret = true`\n";
        assert_eq!(whats(text), Vec::<(usize, String)>::new());
        assert!(is_placeholder("<your key>"));
        assert!(is_placeholder("{{ secrets.x }}"));
        assert!(!is_placeholder("hunter2"));
    }
}
