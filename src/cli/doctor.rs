//! `cdc-workshop doctor`: is this machine ready for the workshop? One line per item with ✓ or
//! ✗ and what to do; exit 1 when something required fails.

use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::backend::terraform::cli::TerraformCli;
use crate::config::{EnvLookup, Overrides};
use crate::credentials::lookup;
use crate::credentials::validate::Validity;
use crate::workspace::Workspace;

use super::output::{Format, json_line};
use super::{CliError, Exit};

/// Where the public IP is asked, in order, unless the settings name another service.
pub const IP_ECHO_SERVICES: &[&str] = &["https://api.ipify.org", "https://checkip.amazonaws.com"];
/// Clock skew beyond this breaks signed requests (AWS allows 5 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(120);
/// Terraform state, provider plugins and logs need about this much.
pub const MIN_FREE_DISK_MB: u64 = 2048;

#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub ok: bool,
    pub required: bool,
    pub detail: String,
    /// What to do when it is not ok.
    pub fix: Option<String>,
}

impl Item {
    fn pass(name: &str, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: true,
            required: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: false,
            required: true,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn optional(self) -> Self {
        Self {
            required: false,
            ..self
        }
    }
}

async fn terraform(ws: &Workspace, env: EnvLookup<'_>) -> Item {
    let path = env("PATH").map(std::ffi::OsString::from);
    let mut cli = match TerraformCli::locate(ws.settings.terraform.as_deref(), path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            return Item::fail(
                "terraform",
                e.to_string(),
                "install Terraform 1.4 or newer: https://developer.hashicorp.com/terraform/install",
            );
        }
    };
    match cli.check_version().await {
        Ok(v) => Item::pass(
            "terraform",
            format!("{} ({})", v.terraform_version, cli.binary().display()),
        ),
        Err(e) => Item::fail(
            "terraform",
            e.to_string(),
            "install Terraform 1.4 or newer: https://developer.hashicorp.com/terraform/install",
        ),
    }
}

async fn public_ip(ws: &Workspace) -> Item {
    if let Some(ip) = &ws.settings.endpoints.public_ip {
        return Item::pass("public IP", format!("{ip} (set by CDC_WORKSHOP_PUBLIC_IP)"));
    }
    let services: Vec<String> = match &ws.settings.endpoints.ip_echo_url {
        Some(u) => vec![u.clone()],
        None => IP_ECHO_SERVICES.iter().map(|s| s.to_string()).collect(),
    };
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        return Item::fail(
            "public IP",
            "cannot set up HTTPS",
            "check this machine's TLS setup",
        );
    };
    for url in &services {
        if let Ok(r) = http.get(url).send().await
            && r.status().is_success()
            && let Ok(text) = r.text().await
            && let Ok(ip) = text.trim().parse::<std::net::IpAddr>()
        {
            return Item::pass(
                "public IP",
                format!("{ip} (from {url}); databases and SSH are opened to it"),
            );
        }
    }
    Item::fail(
        "public IP",
        format!("none of {} answered with an address", services.join(", ")),
        "set CDC_WORKSHOP_PUBLIC_IP to your address (the AWS security groups allow only it)",
    )
    .optional()
}

/// The Confluent API's `Date` against this machine's clock.
async fn clock_skew(ws: &Workspace) -> Item {
    let url = ws
        .settings
        .endpoints
        .confluent_api_url
        .clone()
        .unwrap_or_else(|| crate::backend::confluent::DEFAULT_API_URL.to_string());
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        return Item::fail(
            "clock",
            "cannot set up HTTPS",
            "check this machine's TLS setup",
        );
    };
    let response = match http.head(&url).send().await {
        Ok(r) => r,
        Err(_) => {
            return Item::fail(
                "clock",
                format!("{url} did not answer, so the clock could not be compared"),
                "check the network",
            )
            .optional();
        }
    };
    let Some(date) = response
        .headers()
        .get("date")
        .and_then(|d| d.to_str().ok())
        .and_then(httpdate)
    else {
        return Item::pass("clock", "the server sent no Date to compare with").optional();
    };
    let now = SystemTime::now();
    let skew = now
        .duration_since(date)
        .or_else(|e| Ok::<_, ()>(e.duration()))
        .unwrap_or_default();
    if skew > MAX_CLOCK_SKEW {
        Item::fail(
            "clock",
            format!("{}s off the server's time", skew.as_secs()),
            "turn on automatic time (NTP); signed AWS requests fail beyond 5 minutes",
        )
    } else {
        Item::pass(
            "clock",
            format!("within {}s of {url}", skew.as_secs().max(1)),
        )
    }
}

/// An RFC 7231 date (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn httpdate(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, _] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)?
        + 1;
    humantime::parse_rfc3339(&format!(
        "{year}-{month:02}-{:02}T{time}Z",
        day.parse::<u32>().ok()?
    ))
    .ok()
}

fn disk(ws: &Workspace) -> Item {
    let dir = &ws.settings.dirs.data;
    let _ = std::fs::create_dir_all(dir);
    match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => {
            let free_mb = s.blocks_available().saturating_mul(s.fragment_size()) / (1024 * 1024);
            if free_mb >= MIN_FREE_DISK_MB {
                Item::pass("free disk", format!("{free_mb} MB in {}", dir.display()))
            } else {
                Item::fail(
                    "free disk",
                    format!("{free_mb} MB in {}", dir.display()),
                    format!(
                        "free at least {MIN_FREE_DISK_MB} MB there, or set CDC_WORKSHOP_HOME to a roomier folder"
                    ),
                )
            }
        }
        Err(e) => Item::fail(
            "free disk",
            format!("cannot look at {} ({e})", dir.display()),
            "set CDC_WORKSHOP_HOME to a writable folder",
        ),
    }
}

/// Every endpoint the settings name answers at all (any HTTP status counts: it is there).
async fn endpoints(ws: &Workspace) -> Vec<Item> {
    let e = &ws.settings.endpoints;
    let named = [
        ("Confluent Cloud API", &e.confluent_api_url),
        ("Metrics API", &e.metrics_url),
        ("Kafka REST", &e.kafka_rest_url),
        ("Schema Registry", &e.schema_registry_url),
        ("Flink SQL", &e.flink_url),
        ("OpenAI", &e.openai_url),
        ("AWS STS", &e.aws_sts_url),
    ];
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, url) in named {
        let Some(url) = url else { continue };
        let item = format!("reach {name}");
        out.push(match http.head(url).send().await {
            Ok(r) => Item::pass(&item, format!("{url} answers ({})", r.status().as_u16())),
            Err(_) => Item::fail(
                &item,
                format!("{url} does not answer"),
                "check the URL in config.toml or CDC_WORKSHOP_*_URL, and the network",
            ),
        });
    }
    out
}

/// An Azure login, when the Azure CLI is configured or installed (the Azure track needs it).
async fn azure(ws: &Workspace, env: EnvLookup<'_>) -> Option<Item> {
    let configured = ws.settings.endpoints.az_command.is_some();
    let on_path =
        env("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("az").is_file()));
    if !configured && !on_path {
        return None;
    }
    let endpoints = ws.settings.endpoints.validation(None);
    let item = match crate::credentials::validate::azure(&endpoints).await {
        Validity::Valid(why) => Item::pass("Azure login", why),
        Validity::Rejected(why) => Item::fail("Azure login", why, "az login"),
        Validity::Unknown(why) => Item::fail(
            "Azure login",
            why,
            "install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli",
        ),
    };
    Some(item.optional())
}

fn gcp_key(ws: &Workspace, checks: &std::collections::BTreeMap<String, Validity>) -> Option<Item> {
    let path = super::credentials::gcp_key_file(ws)?;
    let name = "GCP service-account key";
    let item = match checks.get(crate::credentials::validate::GCP_KEY_FILE) {
        Some(Validity::Valid(why)) => Item::pass(name, format!("{why} ({})", path.display())),
        Some(Validity::Rejected(why)) => Item::fail(
            name,
            why.clone(),
            "set gcp_credentials_file to a current key of the workshop's service account",
        ),
        Some(Validity::Unknown(why)) => {
            Item::pass(name, format!("{}; not verified: {why}", path.display()))
        }
        None => Item::pass(name, path.display().to_string()),
    };
    Some(item.optional())
}

fn credentials(
    ws: &Workspace,
    env: EnvLookup,
    checks: &std::collections::BTreeMap<String, Validity>,
) -> Vec<Item> {
    let mut out = Vec::new();
    // Secrets a step provides (sensitive Terraform outputs) appear only once it has run.
    for decl in ws.course.secrets.iter().filter(|d| d.provided_by.is_none()) {
        let name = format!("credential {}", decl.name);
        let required = decl.name.starts_with("confluent_");
        let item = match lookup(
            ws.credentials.as_ref(),
            &decl.name,
            decl.env.as_deref(),
            env,
        ) {
            Err(e) => Item::fail(
                &name,
                e.to_string(),
                "fix the credentials file as the message says",
            ),
            Ok(None) => Item::fail(
                &name,
                format!("not set — {}", decl.description),
                format!("cdc-workshop credentials set {}", decl.name),
            ),
            Ok(Some((_, from))) => match checks.get(&decl.name) {
                Some(Validity::Rejected(why)) => Item::fail(
                    &name,
                    format!("set ({}), but {why}", from.label()),
                    format!("cdc-workshop credentials set {}", decl.name),
                ),
                Some(Validity::Unknown(why)) => Item::pass(
                    &name,
                    format!("set ({}); not verified: {why}", from.label()),
                ),
                Some(Validity::Valid(why)) => {
                    Item::pass(&name, format!("{why} ({})", from.label()))
                }
                None => Item::pass(&name, format!("set ({})", from.label())),
            },
        };
        out.push(if required { item } else { item.optional() });
    }
    out
}

pub fn run(overrides: &Overrides, env: EnvLookup, format: Format) -> Result<Exit, CliError> {
    let ws = Workspace::open(overrides, env)?;
    if let Some(notice) = &ws.credential_notice {
        eprintln!("note: {notice}");
    }
    let checks = super::credentials::validate_all(&ws, env);
    let rt = super::runtime()?;
    let mut items = rt.block_on(async {
        let (tf, ip, clock) = tokio::join!(terraform(&ws, env), public_ip(&ws), clock_skew(&ws));
        vec![tf, ip, clock]
    });
    items.push(disk(&ws));
    items.extend(credentials(&ws, env, &checks));
    items.extend(gcp_key(&ws, &checks));
    items.extend(rt.block_on(endpoints(&ws)));
    items.extend(rt.block_on(azure(&ws, env)));
    let failed_required = items.iter().any(|i| i.required && !i.ok);
    match format {
        Format::Json => {
            for i in &items {
                json_line(
                    &json!({"item": i.name, "ok": i.ok, "required": i.required, "detail": i.detail, "fix": i.fix}),
                );
            }
        }
        Format::Text => {
            for i in &items {
                let mark = if i.ok {
                    "✓"
                } else if i.required {
                    "✗"
                } else {
                    "!"
                };
                println!("{mark} {:<36} {}", i.name, i.detail);
                if let (false, Some(fix)) = (i.ok, &i.fix) {
                    println!("  → {fix}");
                }
            }
            println!(
                "{}",
                if failed_required {
                    "Not ready yet: fix the ✗ items above, then run `cdc-workshop doctor` again."
                } else {
                    "Ready for the workshop."
                }
            );
        }
    }
    Ok(if failed_required {
        Exit::Failure
    } else {
        Exit::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse() {
        let t = httpdate("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            humantime::format_rfc3339_seconds(t).to_string(),
            "1994-11-06T08:49:37Z"
        );
        assert!(httpdate("yesterday").is_none());
    }
}
