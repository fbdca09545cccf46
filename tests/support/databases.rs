//! Real PostgreSQL and MariaDB servers for tests, each in its own temp dir on a free loopback
//! port, stopped when dropped. Missing binaries skip the test with a printed reason, except
//! under `CI=true`, where they fail it (`.ci/run` installs them).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Password both servers' workshop user logs in with.
pub const PASSWORD: &str = "Cdc-workshop-pw-7";
pub const USER: &str = "workshop";
pub const DATABASE: &str = "demo";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `None` (and a printed reason) when a tool is missing outside CI; a panic under CI.
fn missing<T>(what: &str) -> Option<T> {
    assert!(
        !in_ci(),
        "{what} is required under CI=true (.ci/run installs it)"
    );
    eprintln!("skipping: {what} is not installed here");
    None
}

fn find(binary: &str, extra_dirs: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().map(PathBuf::from))
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn wait_for_port(port: u16, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    panic!("the server did not listen on {port} within 30s; its log:\n{text}");
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL 15 cluster with `wal_level=logical` (as CDC needs), a password-protected user
/// and a database.
pub struct Postgres {
    pub port: u16,
    dir: TempDir,
    bin: PathBuf,
}

impl Postgres {
    pub fn start() -> Option<Self> {
        let extra = ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin"];
        let Some(initdb) = find("initdb", &extra) else {
            return missing("PostgreSQL (initdb)");
        };
        let bin = initdb.parent().unwrap().to_path_buf();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, format!("{PASSWORD}\n")).unwrap();
        // PostgreSQL refuses to run as root; the `postgres` account runs it then.
        let as_postgres = |program: &Path| {
            if is_root() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            } else {
                Command::new(program)
            }
        };
        if is_root() {
            run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(dir.path()),
                "chown the temp dir",
            );
        }
        run(
            as_postgres(&initdb)
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "--auth=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display())),
            "initdb",
        );
        let port = free_port();
        let log = dir.path().join("server.log");
        run(
            as_postgres(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(&log)
                .arg("-o")
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c wal_level=logical",
                    dir.path().display()
                ))
                .args(["-w", "start"])
                .stdout(Stdio::null()),
            "pg_ctl start",
        );
        wait_for_port(port, &log);
        Some(Self { port, dir, bin })
    }

    /// `psql` as the superuser on `db`, stopping at the first error (setup only; the code under
    /// test uses its own driver).
    fn psql_command(&self, db: &str) -> Command {
        let psql = find("psql", &[]).unwrap_or_else(|| self.bin.join("psql"));
        let mut cmd = Command::new(psql);
        cmd.env("PGPASSWORD", PASSWORD)
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
            ])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-d")
            .arg(db);
        cmd
    }

    /// Run SQL as the superuser.
    pub fn psql(&self, db: &str, sql: &str) {
        run(self.psql_command(db).arg("-c").arg(sql), "psql");
    }

    /// Run a SQL file (psql meta-commands such as `\set` allowed) as the superuser.
    pub fn psql_file(&self, db: &str, file: &Path) {
        run(self.psql_command(db).arg("-f").arg(file), "psql -f");
    }

    /// The workshop user and database with an `orders` table of three rows.
    pub fn seed(&self) {
        self.psql(
            "postgres",
            &format!("CREATE USER {USER} PASSWORD '{PASSWORD}'"),
        );
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {DATABASE} OWNER {USER}"),
        );
        self.psql(
            DATABASE,
            &format!(
                "SET ROLE {USER}; CREATE TABLE orders (id INT PRIMARY KEY, item TEXT, amount NUMERIC(10,2)); \
                 INSERT INTO orders VALUES (1, 'apple', 1.50), (2, 'pear', 2.25), (3, NULL, 10.00);"
            ),
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin.join("pg_ctl"))
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A MariaDB server with row-based binlogs (as CDC needs), a password-protected user and a
/// database.
pub struct MariaDb {
    pub port: u16,
    dir: TempDir,
    child: std::process::Child,
}

impl MariaDb {
    pub fn start() -> Option<Self> {
        let (Some(install), Some(server)) = (
            find("mariadb-install-db", &[]),
            find("mariadbd", &["/usr/sbin"]),
        ) else {
            return missing("MariaDB (mariadb-install-db, mariadbd)");
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let user = if is_root() {
            "root".to_string()
        } else {
            whoami()
        };
        run(
            Command::new(install)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--user={user}"))
                .arg("--auth-root-authentication-method=normal")
                .stdout(Stdio::null()),
            "mariadb-install-db",
        );
        let port = free_port();
        let log = dir.path().join("server.log");
        let child = Command::new(server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--user={user}"))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--log-error={}", log.display()))
            .arg(format!("--log-bin={}", dir.path().join("binlog").display()))
            .args([
                "--binlog-format=ROW",
                "--binlog-row-image=FULL",
                "--server-id=1",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, &log);
        Some(Self { port, dir, child })
    }

    /// Run SQL as root over the socket with the `mariadb` client (setup only).
    pub fn sql(&self, sql: &str) {
        run(
            Command::new("mariadb")
                .arg("--no-defaults")
                .arg(format!(
                    "--socket={}",
                    self.dir.path().join("sock").display()
                ))
                .args(["-u", "root", "-e", sql]),
            "mariadb client",
        );
    }

    /// The server's binary logs, oldest first (for a test that plays the connector).
    pub fn binlogs(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("binlog.0"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    pub fn seed(&self) {
        self.sql(&format!(
            "CREATE DATABASE {DATABASE}; \
             CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON {DATABASE}.* TO '{USER}'@'%'; \
             CREATE USER '{USER}'@'localhost' IDENTIFIED BY '{PASSWORD}'; GRANT ALL ON {DATABASE}.* TO '{USER}'@'localhost'; \
             CREATE TABLE {DATABASE}.accounts (id INT PRIMARY KEY, name VARCHAR(40), balance DECIMAL(10,2)); \
             INSERT INTO {DATABASE}.accounts VALUES (1, 'ada', 12.50), (2, 'bob', NULL);"
        ));
    }
}

fn whoami() -> String {
    std::env::var("USER").unwrap_or_else(|_| "nobody".to_string())
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
