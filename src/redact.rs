//! One redactor that knows every secret value loaded and masks it wherever text leaves the core.
//!
//! Applied to every subprocess line, log record, journal event, error message and rendered string.
//! It also masks the common encodings a secret travels in (base64 of `key:secret` basic-auth
//! pairs, base64 and URL-encoding of the value itself).

use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::lesson::template::SECRET_MASK;

/// Secrets shorter than this are not masked: masking `"a"` everywhere would destroy all text and
/// such a value is not a credential anyway.
pub const MIN_SECRET_LEN: usize = 4;

/// A cheaply clonable, shared redactor. Adding a secret makes every clone mask it.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    needles: Arc<RwLock<Needles>>,
}

/// Every form of every secret, and one automaton that finds them all in a single pass (a
/// sample prints 100,000 lines; searching for each secret in turn dominated its time).
#[derive(Debug, Default)]
struct Needles {
    forms: Vec<String>,
    finder: Option<AhoCorasick>,
    /// One mask per form, as `replace_all` wants them.
    masks: Vec<&'static str>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Learn a secret value (and its encodings).
    pub fn add(&self, secret: &str) {
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut forms = vec![secret.to_string(), BASE64.encode(secret)];
        let url = url_encode(secret);
        if url != secret {
            forms.push(url);
        }
        self.push(forms);
    }

    /// Learn a `user:password` pair the way HTTP basic auth carries it.
    pub fn add_basic_auth(&self, user: &str, password: &str) {
        self.add(password);
        if password.len() >= MIN_SECRET_LEN {
            self.push(vec![BASE64.encode(format!("{user}:{password}"))]);
        }
    }

    fn push(&self, forms: Vec<String>) {
        let Ok(mut needles) = self.needles.write() else {
            return;
        };
        let before = needles.forms.len();
        for form in forms {
            if !needles.forms.contains(&form) {
                needles.forms.push(form);
            }
        }
        if needles.forms.len() != before {
            needles.masks = vec![SECRET_MASK; needles.forms.len()];
            // Leftmost-longest, so a secret that contains another is masked whole.
            needles.finder = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&needles.forms)
                .inspect_err(
                    |e| tracing::error!(error = %e, "the secret matcher could not be built"),
                )
                .ok();
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.read().map_or(true, |n| n.forms.is_empty())
    }

    /// Whether `text` holds a secret (so printing it as it is would leak one).
    pub fn would_redact(&self, text: &str) -> bool {
        match self.needles.read() {
            Ok(n) if n.forms.is_empty() => false,
            Ok(n) => n.finder.as_ref().is_none_or(|f| f.is_match(text)),
            Err(_) => true,
        }
    }

    /// [`Redactor::would_redact`] for bytes (whole batches of output, read without first
    /// checking that they are UTF-8).
    pub fn would_redact_bytes(&self, bytes: &[u8]) -> bool {
        match self.needles.read() {
            Ok(n) if n.forms.is_empty() => false,
            Ok(n) => n.finder.as_ref().is_none_or(|f| f.is_match(bytes)),
            Err(_) => true,
        }
    }

    /// The text with every known secret replaced by the mask.
    pub fn redact(&self, text: &str) -> String {
        let Ok(needles) = self.needles.read() else {
            // A poisoned lock means a writer panicked mid-update; showing nothing is the safe side.
            return SECRET_MASK.to_string();
        };
        if needles.forms.is_empty() {
            return text.to_string();
        }
        match &needles.finder {
            Some(f) => f.replace_all(text, &needles.masks),
            // Secrets known but no matcher: nothing may be shown.
            None => SECRET_MASK.to_string(),
        }
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_value_and_its_encodings() {
        let r = Redactor::new();
        r.add("p@ss/word+1");
        r.add_basic_auth("KEY123", "p@ss/word+1");
        let b64 = BASE64.encode("p@ss/word+1");
        let basic = BASE64.encode("KEY123:p@ss/word+1");
        let line = format!("pw=p@ss/word+1 enc={b64} url=p%40ss%2Fword%2B1 auth=Basic {basic}");
        assert_eq!(r.redact(&line), "pw=•••• enc=•••• url=•••• auth=Basic ••••");
    }

    #[test]
    fn longer_secret_containing_shorter_is_masked_whole() {
        let r = Redactor::new();
        r.add("abcd");
        r.add("abcdefgh");
        assert_eq!(r.redact("x abcdefgh y abcd"), "x •••• y ••••");
    }

    #[test]
    fn clones_share_what_they_learn_and_short_values_are_ignored() {
        let r = Redactor::new();
        let clone = r.clone();
        r.add("hunter22");
        r.add("ab");
        assert_eq!(clone.redact("hunter22 ab"), "•••• ab");
    }
}
