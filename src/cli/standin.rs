//! `cdc-workshop standin`: serve the Confluent stand-in with a seeded workshop environment, for
//! rehearsing the course without a Confluent account and for driving the guide in tests.
//!
//! The ids and the stand-in's own keys go into an env file (0600, written atomically), never
//! onto the screen: source it in the shell that runs the guide.

use std::io::Write;
use std::path::Path;

use crate::standin::{StandIn, Timings};

/// How often a running stand-in source writes a change event.
const CHANGE_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

use super::{CliError, Exit};

fn write_env_file(path: &Path, lines: &[(String, String)]) -> Result<(), CliError> {
    let body: String = lines
        .iter()
        .map(|(k, v)| format!("export {k}='{v}'\n"))
        .collect();
    write_private(path, body.as_bytes())
}

/// Owner-only (0600) and atomic: these files hold the stand-in's keys.
fn write_private(path: &Path, body: &[u8]) -> Result<(), CliError> {
    let tmp = path.with_extension("tmp");
    let io = |e: std::io::Error| CliError::Usage(format!("cannot write {}: {e}", path.display()));
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(body).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// The shipped course against this stand-in: the Confluent module's outputs replayed, its
/// contacts topic and schema created, and the course's Cloud key set to the stand-in's.
fn rehearse_course(
    standin: &StandIn,
    s: &crate::standin::SeededWorkshop,
    dir: &Path,
    bootstrap: &str,
    lines: &mut Vec<(String, String)>,
) -> Result<(), CliError> {
    let io = |e: std::io::Error| CliError::Usage(format!("cannot write {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(io)?;
    let outputs = s.confluent_module_outputs(&standin.url(), bootstrap);
    write_private(
        &dir.join(format!("{}.json", crate::standin::CONFLUENT_MODULE)),
        outputs.to_string().as_bytes(),
    )?;
    standin
        .apply_confluent_module(s, &crate::assets::Assets::embedded())
        .map_err(CliError::Usage)?;
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    lines.push((
        crate::runner::terraform::replay::REPLAY_ENV.into(),
        dir.display().to_string(),
    ));
    lines.push(("CONFLUENT_CLOUD_API_KEY".into(), s.cloud_key.key.clone()));
    lines.push((
        "CONFLUENT_CLOUD_API_SECRET".into(),
        s.cloud_key.secret.clone(),
    ));
    Ok(())
}

pub fn run(args: &super::StandinArgs) -> Result<Exit, CliError> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let timings = if args.realistic {
            Timings::realistic()
        } else {
            Timings::default()
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
        let mut standin = StandIn::start_on(addr, timings).await.map_err(|e| {
            CliError::Usage(format!(
                "cannot listen on {addr}: {e}; choose another --port"
            ))
        })?;
        if let Some(endpoint) = &args.aws_endpoint {
            standin = standin.with_s3_endpoint(endpoint.clone());
        }
        let s = standin.seed_workshop();
        let url = standin.url();
        let mut lines = s.guide_env(&url);
        if let Some(endpoint) = &args.aws_endpoint {
            // The guide's S3 checks then look where the stand-in's sink writes.
            lines.push(("CDC_WORKSHOP_AWS_ENDPOINT_URL".into(), endpoint.clone()));
        }
        let kafka = if args.kafka || args.replay_dir.is_some() {
            let bootstrap = standin
                .start_kafka(CHANGE_EVERY)
                .map_err(CliError::Usage)?;
            lines.push(("CDC_WORKSHOP_KAFKA_BOOTSTRAP".into(), bootstrap.clone()));
            lines.push((
                "CDC_WORKSHOP_KAFKA_SECURITY_PROTOCOL".into(),
                "plaintext".into(),
            ));
            Some(bootstrap)
        } else {
            None
        };
        if let (Some(dir), Some(bootstrap)) = (&args.replay_dir, &kafka) {
            rehearse_course(&standin, &s, dir, bootstrap, &mut lines)?;
        }
        write_env_file(&args.env_file, &lines)?;
        println!("Confluent stand-in listening on {url}");
        if let Some(bootstrap) = &kafka {
            println!(
                "Kafka (mock cluster) on {bootstrap}: running source connectors write a change every {}s",
                CHANGE_EVERY.as_secs()
            );
            println!(
                "PostgreSQL and MySQL CDC sources whose database answers stream its real rows and changes instead"
            );
            if let Some(endpoint) = &args.aws_endpoint {
                println!("running S3 sink connectors write their Avro files to {endpoint}");
            }
        }
        println!(
            "environment {} · cluster {} · compute pool {}",
            s.environment, s.cluster, s.compute_pool
        );
        if let Some(dir) = &args.replay_dir {
            println!(
                "rehearsal: the course's confluent-cloud step replays {} instead of running Terraform",
                dir.display()
            );
        }
        println!(
            "source {} in the guide's shell; Ctrl-C stops the stand-in",
            args.env_file.display()
        );
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::Usage(format!("cannot wait for Ctrl-C: {e}")))?;
        drop(standin);
        Ok(Exit::Success)
    })
}
