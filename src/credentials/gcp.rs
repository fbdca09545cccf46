//! A GCP service-account key file: it parses, and Google's token endpoint exchanges a JWT
//! signed with it for an access token (the OAuth 2.0 JWT-bearer flow every Google client uses).

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;

use super::Secret;
use super::validate::{ValidationEndpoints, Validity};

/// What the token is asked for: read-only is enough to prove the key works.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform.read-only";

#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    client_email: String,
    private_key: String,
    token_uri: Option<String>,
    project_id: Option<String>,
}

/// The parts of a key file the check needs; the private key stays a [`Secret`].
pub struct ServiceAccountKey {
    pub client_email: String,
    pub project_id: Option<String>,
    pub token_uri: String,
    private_key: Secret,
}

/// Read and check a key file; the error says what is wrong with it and what to do.
pub fn read_key(path: &Path) -> Result<ServiceAccountKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} ({e}); download the service account's JSON key again",
            path.display()
        )
    })?;
    let key: KeyFile = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a service-account key file ({e}); download a JSON key from IAM → Service accounts → Keys", path.display()))?;
    if key.kind != "service_account" {
        return Err(format!(
            "{} is a `{}` key, not a service account's; create a key for the workshop's service account",
            path.display(),
            key.kind
        ));
    }
    Ok(ServiceAccountKey {
        client_email: key.client_email,
        project_id: key.project_id,
        token_uri: key
            .token_uri
            .unwrap_or_else(|| "https://oauth2.googleapis.com/token".to_string()),
        private_key: Secret::new(key.private_key),
    })
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD
        .decode(body)
        .map_err(|_| "the private key is not valid PEM".to_string())
}

/// The signed JWT the token endpoint exchanges, issued at `now_secs`.
pub fn assertion(key: &ServiceAccountKey, audience: &str, now_secs: u64) -> Result<String, String> {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": key.client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": now_secs,
        "exp": now_secs + 3600,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let der = pem_to_der(key.private_key.expose())?;
    let pair = RsaKeyPair::from_pkcs8(&der)
        .map_err(|_| "the private key is not an RSA PKCS#8 key".to_string())?;
    let mut signature = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "signing with the private key failed".to_string())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// The key file at `path` parses and Google (or `token_url`, when set) accepts it.
pub async fn validate(
    path: &Path,
    token_url: Option<&str>,
    endpoints: &ValidationEndpoints,
) -> Validity {
    let key = match read_key(path) {
        Ok(k) => k,
        Err(why) => return Validity::Rejected(why),
    };
    let url = token_url.map_or(key.token_uri.clone(), String::from);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // The audience is always the key's own token URI, as Google expects, wherever it is sent.
    let jwt = match assertion(&key, &key.token_uri, now) {
        Ok(j) => j,
        Err(why) => return Validity::Rejected(format!("{}: {why}", path.display())),
    };
    let Ok(http) = reqwest::Client::builder()
        .timeout(endpoints.timeout)
        .build()
    else {
        return Validity::Unknown("cannot set up HTTPS".into());
    };
    // The JWT is base64url and dots: nothing in it needs escaping in a form body.
    let body =
        format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}");
    let sent = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Validity::Valid(format!(
            "Google accepted the key of {}{}",
            key.client_email,
            key.project_id
                .map(|p| format!(" (project {p})"))
                .unwrap_or_default()
        )),
        Ok(r) if matches!(r.status().as_u16(), 400 | 401) => Validity::Rejected(format!(
            "Google rejected the key of {} ({}); the key may be deleted or disabled: create a new one under IAM → Service accounts → Keys",
            key.client_email,
            r.status().as_u16()
        )),
        Ok(r) => Validity::Unknown(format!(
            "Google's token endpoint answered {}",
            r.status().as_u16()
        )),
        Err(_) => Validity::Unknown(format!(
            "cannot reach Google's token endpoint at {url}; check the network"
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    /// A throwaway RSA key made with the system's `openssl`, in a service-account key file.
    fn key_file(dir: &Path) -> Option<std::path::PathBuf> {
        let pem = dir.join("k.pem");
        let ok = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
            ])
            .arg(&pem)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipping: openssl is not available to make a test key");
            return None;
        }
        let file = dir.join("key.json");
        let body = serde_json::json!({
            "type": "service_account", "project_id": "cdc-ws", "client_email": "ws@cdc-ws.iam.gserviceaccount.com",
            "private_key": std::fs::read_to_string(&pem).unwrap(), "token_uri": "https://oauth2.googleapis.com/token",
        });
        std::fs::write(&file, body.to_string()).unwrap();
        Some(file)
    }

    #[test]
    fn the_assertion_is_a_jwt_signed_by_the_keys_private_key() {
        let dir = tempfile::tempdir().unwrap();
        let Some(file) = key_file(dir.path()) else {
            return;
        };
        let key = read_key(&file).unwrap();
        let jwt = assertion(&key, &key.token_uri, 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "ws@cdc-ws.iam.gserviceaccount.com");
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!(claims["exp"], 1_700_003_600u64);
        let der = pem_to_der(key.private_key.expose()).unwrap();
        let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
        let public = UnparsedPublicKey::new(
            &RSA_PKCS1_2048_8192_SHA256,
            pair.public_key().as_ref().to_vec(),
        );
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
    }

    #[test]
    fn a_file_that_is_not_a_service_account_key_says_what_to_download() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("user.json");
        std::fs::write(
            &f,
            r#"{"type":"authorized_user","client_email":"x","private_key":"y"}"#,
        )
        .unwrap();
        let err = read_key(&f).err().unwrap();
        assert!(
            err.contains("is a `authorized_user` key, not a service account's"),
            "{err}"
        );
        std::fs::write(&f, "not json").unwrap();
        assert!(read_key(&f).err().unwrap().contains("download a JSON key"));
    }
}
