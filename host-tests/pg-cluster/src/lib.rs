//! A throwaway PostgreSQL cluster for the workspace's tests (the gateway, the
//! CLI, and through the `pg-cluster` binary the Node and Python suites):
//! `initdb` into a temp dir, `postgres` on 127.0.0.1 with its socket inside
//! that dir, stopped and removed on drop.
//!
//! initdb and postgres refuse to run as root, so under uid 0 they run as the
//! `postgres` system user (Debian's `postgresql` package creates it) through
//! `setpriv`, which execs in place: the child we hold *is* the postmaster.

use std::fs::{self, File};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::{Connection, Executor, PgConnection};

mod binaries;
pub mod tls;

pub use binaries::find_bin_dir;
pub use tls::TestCertificates;

/// How long to wait for the postmaster to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown may take before the postmaster is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Fresh ports tried when another process grabs the one we picked.
const START_ATTEMPTS: usize = 3;

#[derive(Debug, thiserror::Error)]
pub enum PgClusterError {
    #[error("PostgreSQL binaries not found: set PG_BIN_DIR, put initdb/postgres on PATH, or install Debian's `postgresql`")]
    BinariesNotFound,
    #[error("running as root but cannot use the `postgres` user: {0}")]
    NoPostgresUser(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("initdb failed:\n{0}")]
    Initdb(String),
    #[error("postgres did not become ready:\n{0}")]
    Start(String),
    #[error("database set-up failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the shared cluster could not start: {0}")]
    Shared(String),
    #[error("certificate generation failed: {0}")]
    Tls(String),
}

pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgClusterError {
    let context = context.into();
    move |source| PgClusterError::Io { context, source }
}

/// A running cluster. Its superuser is `postgres`, trust auth, no password.
#[derive(Debug)]
pub struct PgCluster {
    postmaster: Child,
    port: u16,
    /// Removed (data, sockets, log) when dropped, after Drop stopped the server.
    dir: tempfile::TempDir,
    /// With `ssl=on`: the certificates it serves (see [`PgCluster::start_tls`]).
    certificates: Option<TestCertificates>,
}

impl PgCluster {
    /// initdb + start; blocks until the server accepts connections.
    pub fn start() -> Result<Self, PgClusterError> {
        Self::start_inner(false)
    }

    /// As [`PgCluster::start`], with `ssl=on` and a certificate for
    /// `localhost`/`127.0.0.1` signed by a fresh test CA
    /// ([`PgCluster::certificates`]). Plain connections are still accepted,
    /// so `sslmode=disable` and `sslmode=require` both work.
    pub fn start_tls() -> Result<Self, PgClusterError> {
        Self::start_inner(true)
    }

    fn start_inner(tls: bool) -> Result<Self, PgClusterError> {
        let bin = find_bin_dir().ok_or(PgClusterError::BinariesNotFound)?;
        let runner = Runner::detect()?;
        let dir = runner.make_temp_dir()?;
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        runner.make_owned_dir(&sockets)?;
        let certificates = if tls {
            let certs_dir = dir.path().join("tls");
            std::fs::create_dir(&certs_dir).map_err(io_err("cannot create tls dir"))?;
            let certs = TestCertificates::generate(&certs_dir)?;
            // postgres refuses a key that others can read, or that it does not own.
            fs::set_permissions(&certs.server_key, fs::Permissions::from_mode(0o600))
                .map_err(io_err("cannot chmod server.key"))?;
            runner.chown(&certs_dir)?;
            runner.chown(&certs.server_key)?;
            runner.chown(&certs.server_cert)?;
            Some(certs)
        } else {
            None
        };
        let mut ssl_args = Vec::new();
        if let Some(certs) = &certificates {
            ssl_args.extend(["-c".to_owned(), "ssl=on".to_owned()]);
            ssl_args.push("-c".to_owned());
            ssl_args.push(format!("ssl_cert_file={}", certs.server_cert.display()));
            ssl_args.push("-c".to_owned());
            ssl_args.push(format!("ssl_key_file={}", certs.server_key.display()));
        }

        let initdb = runner
            .command(&bin.join("initdb"), dir.path())
            .arg("-D")
            .arg(&data)
            .args(["--username=postgres", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync"])
            .output()
            .map_err(io_err("cannot run initdb"))?;
        if !initdb.status.success() {
            return Err(PgClusterError::Initdb(format!(
                "{}{}",
                String::from_utf8_lossy(&initdb.stdout),
                String::from_utf8_lossy(&initdb.stderr)
            )));
        }

        let mut last_error = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port()?;
            let log_path = dir.path().join("postgres.log");
            let log = File::create(&log_path).map_err(io_err("cannot create postgres.log"))?;
            let log_err = log.try_clone().map_err(io_err("cannot dup log"))?;
            let mut child = runner
                .command(&bin.join("postgres"), dir.path())
                .arg("-D")
                .arg(&data)
                .arg("-p")
                .arg(port.to_string())
                .arg("-k")
                .arg(&sockets)
                // Durability is pointless for a throwaway cluster; speed is not.
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
                .args(["-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
                .args(["-c", "max_connections=200"])
                .args(&ssl_args)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err)
                .spawn()
                .map_err(io_err("cannot spawn postgres"))?;
            match wait_ready(&mut child, &data) {
                Ok(()) => {
                    return Ok(Self {
                        postmaster: child,
                        port,
                        dir,
                        certificates,
                    })
                }
                Err(reason) => {
                    stop(&mut child);
                    let log = fs::read_to_string(&log_path).unwrap_or_default();
                    last_error = format!("{reason}\n{log}");
                }
            }
        }
        Err(PgClusterError::Start(last_error))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// URL of the `postgres` maintenance database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The CA and server certificate of a cluster from [`PgCluster::start_tls`].
    pub fn certificates(&self) -> Option<&TestCertificates> {
        self.certificates.as_ref()
    }

    /// The cluster's temp dir (data, sockets, postgres.log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Creates an empty database with a unique name; returns its URL.
    pub async fn create_database(&self) -> Result<String, PgClusterError> {
        create_database_at(&self.url(), self.port).await
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        stop(&mut self.postmaster);
    }
}

/// One cluster shared by every caller in this process, started on first
/// use and stopped at process exit (statics are never dropped, so an
/// `atexit` hook does it). Returns the maintenance database URL. Blocks
/// while the cluster starts.
pub fn shared_cluster_url() -> Result<String, PgClusterError> {
    shared_cluster().map(|(url, _)| url)
}

fn shared_cluster() -> Result<(String, u16), PgClusterError> {
    static SHARED: Mutex<Option<PgCluster>> = Mutex::new(None);
    static STARTED: OnceLock<Result<(String, u16), String>> = OnceLock::new();

    extern "C" fn stop_shared() {
        let mut guard = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        drop(guard.take());
    }

    STARTED
        .get_or_init(|| {
            let cluster = PgCluster::start().map_err(|e| e.to_string())?;
            let started = (cluster.url(), cluster.port());
            *SHARED.lock().unwrap_or_else(|p| p.into_inner()) = Some(cluster);
            // SAFETY: registers a plain extern "C" fn taking no arguments.
            unsafe { libc::atexit(stop_shared) };
            Ok(started)
        })
        .clone()
        .map_err(PgClusterError::Shared)
}

/// A fresh, empty database on the shared cluster; returns its URL.
pub async fn fresh_database() -> Result<String, PgClusterError> {
    // Starting the cluster blocks for a second or two: keep it off the
    // async worker threads.
    let (admin, port) = tokio::task::spawn_blocking(shared_cluster)
        .await
        .map_err(|e| PgClusterError::Shared(e.to_string()))??;
    create_database_at(&admin, port).await
}

async fn create_database_at(admin_url: &str, port: u16) -> Result<String, PgClusterError> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "db_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = PgConnection::connect(admin_url).await?;
    // FILE_COPY skips WAL-logging the template copy: quicker with fsync off.
    conn.execute(format!("CREATE DATABASE {name} STRATEGY = FILE_COPY").as_str())
        .await?;
    conn.close().await?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/{name}"))
}

/// How to run the PostgreSQL binaries: as ourselves, or (as root) through
/// `setpriv` as the `postgres` user.
struct Runner {
    as_postgres: Option<(u32, u32)>,
}

impl Runner {
    fn detect() -> Result<Self, PgClusterError> {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Ok(Self { as_postgres: None });
        }
        let id = |flag: &str| -> Result<u32, PgClusterError> {
            let out = Command::new("id")
                .args([flag, "postgres"])
                .output()
                .map_err(|e| PgClusterError::NoPostgresUser(e.to_string()))?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .map_err(|_| PgClusterError::NoPostgresUser("no such user".into()))
        };
        Ok(Self {
            as_postgres: Some((id("-u")?, id("-g")?)),
        })
    }

    fn command(&self, program: &Path, cwd: &Path) -> Command {
        let mut cmd = match self.as_postgres {
            Some(_) => {
                let mut c = Command::new("setpriv");
                c.args([
                    "--reuid=postgres",
                    "--regid=postgres",
                    "--init-groups",
                    "--",
                ]);
                c.arg(program);
                c
            }
            None => Command::new(program),
        };
        // The postgres user may not be able to enter our working directory.
        cmd.current_dir(cwd);
        cmd
    }

    /// A temp dir the binaries can reach: under root, every ancestor must be
    /// traversable by others (else fall back to /tmp), and it is chowned.
    fn make_temp_dir(&self) -> Result<tempfile::TempDir, PgClusterError> {
        let base = match self.as_postgres {
            Some(_) if !traversable(&std::env::temp_dir()) => PathBuf::from("/tmp"),
            _ => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix("pg-cluster-")
            .tempdir_in(&base)
            .map_err(io_err(format!(
                "cannot create a temp dir in {}",
                base.display()
            )))?;
        self.chown(dir.path())?;
        Ok(dir)
    }

    fn make_owned_dir(&self, path: &Path) -> Result<(), PgClusterError> {
        fs::create_dir(path).map_err(io_err(format!("cannot create {}", path.display())))?;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))
            .map_err(io_err("cannot chmod socket dir"))?;
        self.chown(path)
    }

    fn chown(&self, path: &Path) -> Result<(), PgClusterError> {
        if let Some((uid, gid)) = self.as_postgres {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(io_err(format!("cannot chown {}", path.display())))?;
        }
        Ok(())
    }
}

/// Every ancestor of `dir` (and `dir` itself) has the others-execute bit.
fn traversable(dir: &Path) -> bool {
    dir.ancestors()
        .all(|p| fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

fn free_port() -> Result<u16, PgClusterError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io_err("cannot find a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("cannot find a free port"))?
        .port();
    Ok(port)
}

/// Polls postmaster.pid: since PostgreSQL 10 its 8th line reads `ready`
/// once connections are accepted. Needs no client binary.
fn wait_ready(child: &mut Child, data: &Path) -> Result<(), String> {
    let deadline = Instant::now() + START_TIMEOUT;
    let pid_file = data.join("postmaster.pid");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("postgres exited early ({status})"));
        }
        let status = fs::read_to_string(&pid_file).unwrap_or_default();
        if status.lines().nth(7).map(str::trim) == Some("ready") {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err("timed out waiting for postgres".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fast shutdown (SIGINT: disconnect clients, clean stop), then SIGKILL.
fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: signals our own child, which we have not yet reaped.
        unsafe { libc::kill(pid, libc::SIGINT) };
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
