//! Settings: defaults, then the config file, then `CDC_WORKSHOP_*` environment, then flags.
//!
//! The environment is passed in (not read globally) so tests run with a clean, explicit one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use thiserror::Error;

use crate::lesson::Course;

pub const ENV_PREFIX: &str = "CDC_WORKSHOP_";
pub const CONFIG_FILE: &str = "config.toml";

/// Reads an environment variable (the real one, or a map in tests).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn real_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: {message}\n  fix the file or point CDC_WORKSHOP_CONFIG / --config at another one"
    )]
    Parse { path: PathBuf, message: String },
    #[error(
        "cannot find a home directory for the guide's data; set CDC_WORKSHOP_HOME to a writable folder"
    )]
    NoHome,
    #[error("`--set {0}` is not NAME=VALUE")]
    BadSet(String),
    #[error("unknown variable `{name}` (from {origin}); the course declares: {known}")]
    UnknownVariable {
        name: String,
        origin: String,
        known: String,
    },
}

/// Where the guide keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub data: PathBuf,
    pub config: PathBuf,
}

impl Dirs {
    pub fn logs(&self) -> PathBuf {
        self.data.join("logs")
    }

    pub fn work(&self) -> PathBuf {
        self.data.join("work")
    }

    /// Module workspaces, the shared provider cache and the resource ledger. Shared by all runs:
    /// resources outlive a run, and a new run must find (and reuse) the state of the last one.
    pub fn terraform(&self) -> PathBuf {
        self.data.join("terraform")
    }

    /// `CDC_WORKSHOP_HOME` puts everything in one folder; otherwise the platform's dirs.
    pub fn resolve(env: EnvLookup) -> Result<Self, ConfigError> {
        if let Some(home) = env("CDC_WORKSHOP_HOME") {
            let home = PathBuf::from(home);
            return Ok(Self {
                data: home.clone(),
                config: home,
            });
        }
        let proj = directories::ProjectDirs::from("io", "cdc-workshop", "cdc-workshop")
            .ok_or(ConfigError::NoHome)?;
        Ok(Self {
            data: proj.data_dir().to_path_buf(),
            config: proj.config_dir().to_path_buf(),
        })
    }
}

/// The config file as written by a person.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    lessons: Option<PathBuf>,
    assets: Option<PathBuf>,
    terraform: Option<PathBuf>,
    log_level: Option<String>,
    hyperlinks: Option<bool>,
    clipboard: Option<bool>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    endpoints: Endpoints,
}

/// External endpoints the guide talks to. Unset means: what the course's `[confluent]` table
/// says, else the public default. Set in `[endpoints]` of the config file or by
/// `CDC_WORKSHOP_<NAME>` (e.g. `CDC_WORKSHOP_CONFLUENT_API_URL`), which wins.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub confluent_api_url: Option<String>,
    pub metrics_url: Option<String>,
    pub kafka_rest_url: Option<String>,
    pub schema_registry_url: Option<String>,
    pub flink_url: Option<String>,
    /// OpenAI API base (validates the OpenAI key).
    pub openai_url: Option<String>,
    /// AWS STS endpoint (validates the AWS key).
    pub aws_sts_url: Option<String>,
    /// One endpoint for every AWS service the checks call (S3 path-style, Redshift, the
    /// Redshift Data API, EC2) instead of the real regional hosts: an emulator such as moto.
    pub aws_endpoint_url: Option<String>,
    /// The Azure CLI to ask `az account show`.
    pub az_command: Option<String>,
    /// An HTTPS service that answers with the caller's public IP (`doctor`).
    pub ip_echo_url: Option<String>,
    /// Your public IP, when detection is not wanted or not possible.
    pub public_ip: Option<String>,
    /// Kafka bootstrap servers for `sample` (Confluent's `SASL_SSL://…` form is accepted).
    pub kafka_bootstrap: Option<String>,
    /// `sasl_ssl` (Confluent Cloud, the default) or `plaintext` (a local broker).
    pub kafka_security_protocol: Option<String>,
    /// Where to exchange a GCP key's JWT (instead of the key's own `token_uri`).
    pub gcp_token_url: Option<String>,
    /// How long a credential check may take (`10s` by default).
    pub validation_timeout: Option<HumanDuration>,
}

/// A duration written the human way (`500ms`, `10s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub std::time::Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text)
            .map(HumanDuration)
            .map_err(serde::de::Error::custom)
    }
}

impl Endpoints {
    /// Where credential validations go.
    pub fn validation(
        &self,
        aws_region: Option<&str>,
    ) -> crate::credentials::validate::ValidationEndpoints {
        let d = crate::credentials::validate::ValidationEndpoints::default();
        crate::credentials::validate::ValidationEndpoints {
            confluent_api: self.confluent_api_url.clone().unwrap_or(d.confluent_api),
            // One endpoint for every AWS service includes STS (an emulator answers it too).
            aws_sts: self
                .aws_sts_url
                .clone()
                .or_else(|| self.aws_endpoint_url.clone())
                .unwrap_or(d.aws_sts),
            aws_region: aws_region.map_or(d.aws_region, String::from),
            openai: self.openai_url.clone().unwrap_or(d.openai),
            az_command: self.az_command.clone().unwrap_or(d.az_command),
            timeout: self.validation_timeout.map_or(d.timeout, |t| t.0),
            gcp_key_file: None,
            gcp_token_url: self.gcp_token_url.clone(),
        }
    }

    fn overlay(self, env: EnvLookup) -> Self {
        let pick = |name: &str, file: Option<String>| env(&format!("{ENV_PREFIX}{name}")).or(file);
        Self {
            confluent_api_url: pick("CONFLUENT_API_URL", self.confluent_api_url),
            metrics_url: pick("METRICS_URL", self.metrics_url),
            kafka_rest_url: pick("KAFKA_REST_URL", self.kafka_rest_url),
            schema_registry_url: pick("SCHEMA_REGISTRY_URL", self.schema_registry_url),
            flink_url: pick("FLINK_URL", self.flink_url),
            openai_url: pick("OPENAI_URL", self.openai_url),
            aws_sts_url: pick("AWS_STS_URL", self.aws_sts_url),
            aws_endpoint_url: pick("AWS_ENDPOINT_URL", self.aws_endpoint_url),
            az_command: pick("AZ_COMMAND", self.az_command),
            ip_echo_url: pick("IP_ECHO_URL", self.ip_echo_url),
            public_ip: pick("PUBLIC_IP", self.public_ip),
            gcp_token_url: pick("GCP_TOKEN_URL", self.gcp_token_url),
            kafka_bootstrap: pick("KAFKA_BOOTSTRAP", self.kafka_bootstrap),
            kafka_security_protocol: pick("KAFKA_SECURITY_PROTOCOL", self.kafka_security_protocol),
            validation_timeout: env(&format!("{ENV_PREFIX}VALIDATION_TIMEOUT"))
                .and_then(|t| humantime::parse_duration(&t).ok().map(HumanDuration))
                .or(self.validation_timeout),
        }
    }
}

/// Flags that override everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub lessons: Option<PathBuf>,
    pub assets: Option<PathBuf>,
    pub log_level: Option<String>,
    /// `NAME=VALUE` pairs from `--set`.
    pub set: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub dirs: Dirs,
    /// The config file that was read, if any.
    pub config_file: Option<PathBuf>,
    pub lessons: Option<PathBuf>,
    /// Assets folder (terraform modules…) instead of the built-in ones.
    pub assets: Option<PathBuf>,
    /// The terraform binary to use instead of the one on PATH.
    pub terraform: Option<PathBuf>,
    /// The test seam: replay recorded module outputs instead of running Terraform.
    pub terraform_replay: Option<PathBuf>,
    pub log_level: String,
    /// Emit OSC 8 hyperlinks for links in lessons.
    pub hyperlinks: bool,
    /// Copy code blocks with OSC 52.
    pub clipboard: bool,
    pub endpoints: Endpoints,
    /// Variable values with their origin, before the course's defaults are applied.
    vars: BTreeMap<String, (String, String)>,
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

impl Settings {
    pub fn load(flags: &Overrides, env: EnvLookup) -> Result<Self, ConfigError> {
        let dirs = Dirs::resolve(env)?;
        let explicit = flags
            .config
            .clone()
            .or_else(|| env("CDC_WORKSHOP_CONFIG").map(PathBuf::from));
        let path = explicit
            .clone()
            .unwrap_or_else(|| dirs.config.join(CONFIG_FILE));
        let file = match std::fs::read_to_string(&path) {
            Ok(text) => {
                Some(
                    toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::Parse {
                        path: path.clone(),
                        message: describe_toml_error(&text, &e),
                    })?,
                )
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => None,
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let config_file = file.as_ref().map(|_| path.clone());
        let file = file.unwrap_or_default();

        let mut vars: BTreeMap<String, (String, String)> = file
            .vars
            .into_iter()
            .map(|(k, v)| (k, (v, format!("{}", path.display()))))
            .collect();
        for pair in &flags.set {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::BadSet(pair.clone()))?;
            vars.insert(
                name.trim().to_string(),
                (value.to_string(), "--set".to_string()),
            );
        }

        Ok(Self {
            lessons: flags
                .lessons
                .clone()
                .or_else(|| env("CDC_WORKSHOP_LESSONS").map(PathBuf::from))
                .or(file.lessons),
            assets: flags
                .assets
                .clone()
                .or_else(|| env("CDC_WORKSHOP_ASSETS").map(PathBuf::from))
                .or(file.assets),
            terraform: env("CDC_WORKSHOP_TERRAFORM")
                .map(PathBuf::from)
                .or(file.terraform),
            terraform_replay: env(crate::runner::terraform::replay::REPLAY_ENV).map(PathBuf::from),
            log_level: flags
                .log_level
                .clone()
                .or_else(|| env("CDC_WORKSHOP_LOG_LEVEL"))
                .or(file.log_level)
                .unwrap_or_else(|| "info".to_string()),
            hyperlinks: env("CDC_WORKSHOP_HYPERLINKS")
                .and_then(|v| parse_bool(&v))
                .or(file.hyperlinks)
                .unwrap_or(true),
            clipboard: env("CDC_WORKSHOP_CLIPBOARD")
                .and_then(|v| parse_bool(&v))
                .or(file.clipboard)
                .unwrap_or(true),
            endpoints: file.endpoints.overlay(env),
            dirs,
            config_file,
            vars,
        })
    }

    /// Values for every variable the course declares: `--set`, then `CDC_WORKSHOP_<NAME>`, then
    /// the config file, then the course default. Unknown names from `--set` are an error.
    pub fn resolve_vars(
        &self,
        course: &Course,
        env: EnvLookup,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        let known: Vec<&str> = course.variables.iter().map(|v| v.name.as_str()).collect();
        for (name, (_, origin)) in &self.vars {
            if !known.contains(&name.as_str()) && origin == "--set" {
                return Err(ConfigError::UnknownVariable {
                    name: name.clone(),
                    origin: origin.clone(),
                    known: known.join(", "),
                });
            }
            if !known.contains(&name.as_str()) {
                tracing::warn!(variable = %name, %origin, "config sets a variable the course does not declare");
            }
        }
        let mut out = BTreeMap::new();
        for decl in &course.variables {
            let from_flag = self
                .vars
                .get(&decl.name)
                .filter(|(_, o)| o == "--set")
                .map(|(v, _)| v.clone());
            let from_env = env(&format!("{ENV_PREFIX}{}", decl.name.to_ascii_uppercase()));
            let from_file = self.vars.get(&decl.name).map(|(v, _)| v.clone());
            if let Some(v) = from_flag
                .or(from_env)
                .or(from_file)
                .or_else(|| decl.default.clone())
            {
                out.insert(decl.name.clone(), v);
            }
        }
        Ok(out)
    }
}

/// A TOML error as `line N: message`, since `toml`'s own rendering repeats the whole source.
pub fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    match err.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {}", err.message())
        }
        None => err.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::lesson::{SourcePos, VariableDecl};

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn course_with_var(name: &str, default: &str) -> Course {
        Course {
            format_version: 1,
            id: "c".into(),
            title: "c".into(),
            tracks: vec![],
            lessons: vec![],
            variables: vec![VariableDecl {
                name: name.into(),
                default: Some(default.into()),
                description: String::new(),
                pos: SourcePos::new("course.toml", 1),
            }],
            secrets: vec![],
            confluent: Default::default(),
            aws: Default::default(),
            databases: vec![],
            pos: SourcePos::new("course.toml", 1),
        }
    }

    #[test]
    fn home_override_puts_everything_in_one_folder() {
        let env = env_of(&[("CDC_WORKSHOP_HOME", "/tmp/ws")]);
        let s = Settings::load(&Overrides::default(), &env).unwrap();
        assert_eq!(s.dirs.data, PathBuf::from("/tmp/ws"));
        assert_eq!(s.dirs.logs(), PathBuf::from("/tmp/ws/logs"));
        assert_eq!(s.log_level, "info");
        assert!(s.config_file.is_none());
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(CONFIG_FILE),
            "log_level = \"warn\"\n[vars]\napi_url = \"http://from-file\"\n",
        )
        .unwrap();
        let home_s = home.path().to_str().unwrap().to_string();
        let course = course_with_var("api_url", "https://default");

        let env = env_of(&[("CDC_WORKSHOP_HOME", &home_s)]);
        let s = Settings::load(&Overrides::default(), &env).unwrap();
        assert_eq!(s.log_level, "warn");
        assert_eq!(
            s.resolve_vars(&course, &env).unwrap()["api_url"],
            "http://from-file"
        );

        let env = env_of(&[
            ("CDC_WORKSHOP_HOME", &home_s),
            ("CDC_WORKSHOP_API_URL", "http://from-env"),
            ("CDC_WORKSHOP_LOG_LEVEL", "debug"),
        ]);
        let s = Settings::load(&Overrides::default(), &env).unwrap();
        assert_eq!(s.log_level, "debug");
        assert_eq!(
            s.resolve_vars(&course, &env).unwrap()["api_url"],
            "http://from-env"
        );

        let flags = Overrides {
            set: vec!["api_url=http://from-flag".into()],
            log_level: Some("trace".into()),
            ..Overrides::default()
        };
        let s = Settings::load(&flags, &env).unwrap();
        assert_eq!(s.log_level, "trace");
        assert_eq!(
            s.resolve_vars(&course, &env).unwrap()["api_url"],
            "http://from-flag"
        );

        let empty = tempfile::tempdir().unwrap();
        let env = env_of(&[("CDC_WORKSHOP_HOME", empty.path().to_str().unwrap())]);
        let s = Settings::load(&Overrides::default(), &env).unwrap();
        assert_eq!(
            s.resolve_vars(&course, &env).unwrap()["api_url"],
            "https://default"
        );
    }

    #[test]
    fn bad_input_names_the_file_line_or_flag() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(CONFIG_FILE),
            "log_level = \"info\"\nloglevel = 3\n",
        )
        .unwrap();
        let env = env_of(&[("CDC_WORKSHOP_HOME", home.path().to_str().unwrap())]);
        let err = Settings::load(&Overrides::default(), &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("config.toml: line 2: unknown field `loglevel`"),
            "{err}"
        );

        let flags = Overrides {
            set: vec!["novalue".into()],
            ..Overrides::default()
        };
        let empty = tempfile::tempdir().unwrap();
        let env = env_of(&[("CDC_WORKSHOP_HOME", empty.path().to_str().unwrap())]);
        assert_eq!(
            Settings::load(&flags, &env).unwrap_err().to_string(),
            "`--set novalue` is not NAME=VALUE"
        );

        let flags = Overrides {
            set: vec!["nope=1".into()],
            ..Overrides::default()
        };
        let s = Settings::load(&flags, &env).unwrap();
        let err = s
            .resolve_vars(&course_with_var("api_url", "x"), &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variable `nope` (from --set); the course declares: api_url"),
            "{err}"
        );

        let flags = Overrides {
            config: Some(home.path().join("missing.toml")),
            ..Overrides::default()
        };
        let err = Settings::load(&flags, &env).unwrap_err().to_string();
        assert!(err.contains("missing.toml"), "{err}");
    }
}
