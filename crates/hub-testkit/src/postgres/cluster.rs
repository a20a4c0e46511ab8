//! A throwaway PostgreSQL cluster: `initdb` into a temporary directory, `pg_ctl start` on a
//! free loopback port, and everything removed afterwards.
//!
//! The server binaries refuse to run as root, so as root they run as the `postgres` user
//! (through `runuser`) on a directory that user owns. Removal is left to a small watchdog
//! process that waits for the end of its stdin, which this process holds: the cluster goes
//! away when the handle is dropped, and also when the test process dies without unwinding.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use super::{INSTALL_HINT, PostgresError};

/// Attempts at finding a free port that no one takes between our probe and the server's
/// bind.
const START_ATTEMPTS: u32 = 5;

/// A running cluster of our own. Stopped and removed on drop.
#[derive(Debug)]
pub struct Cluster {
    port: u16,
    dir: PathBuf,
    bin_dir: PathBuf,
    /// The user the server binaries run as, when it is not this process's.
    run_as: Option<String>,
    watchdog: Option<Child>,
    /// Held open; the watchdog cleans up when it closes.
    watchdog_stdin: Option<ChildStdin>,
}

impl Cluster {
    /// Creates and starts a cluster, with user `postgres` and trust authentication on
    /// 127.0.0.1.
    pub fn start() -> Result<Cluster, PostgresError> {
        let bin_dir = find_bin_dir()?;
        let run_as = server_user()?;
        let dir = fresh_dir(run_as.as_deref())?;

        let mut cluster = Cluster {
            port: 0,
            dir,
            bin_dir,
            run_as,
            watchdog: None,
            watchdog_stdin: None,
        };
        cluster.arm_watchdog()?;
        cluster.init()?;

        let mut last = None;
        for _ in 0..START_ATTEMPTS {
            cluster.port = free_port()?;
            match cluster.start_server() {
                Ok(()) => return Ok(cluster),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| PostgresError::Start("no attempt was made".to_owned())))
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory holding the cluster's data, socket and log; removed on drop.
    pub fn directory(&self) -> &Path {
        &self.dir
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server, ending every connection, as an outage would. The data stays, for
    /// [`Cluster::start_again`].
    pub fn stop(&self) -> Result<(), PostgresError> {
        let data = self.data_dir();
        let output = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .map_err(|error| PostgresError::Start(format!("pg_ctl stop: {error}")))?;
        check(output, "pg_ctl stop").map_err(PostgresError::Start)
    }

    /// Starts the server again on the same port and data.
    pub fn start_again(&self) -> Result<(), PostgresError> {
        self.start_server()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A command for one of the server binaries, as the user that may run them.
    fn server_command(&self, binary: &str) -> Command {
        let program = self.bin_dir.join(binary);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    fn init(&self) -> Result<(), PostgresError> {
        let output = self
            .server_command("initdb")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .output()
            .map_err(|error| PostgresError::Start(format!("initdb: {error}")))?;
        check(output, "initdb").map_err(PostgresError::Start)
    }

    fn start_server(&self) -> Result<(), PostgresError> {
        // Durability is of no use to a throwaway cluster; speed is.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        let output = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .map_err(|error| PostgresError::Start(format!("pg_ctl start: {error}")))?;

        check(output, "pg_ctl start").map_err(|message| {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            PostgresError::Start(format!("{message}\nserver log:\n{log}"))
        })
    }

    /// Starts the process that removes the cluster once this one lets go of its stdin.
    /// It ignores SIGINT and SIGTERM, which a terminal sends the whole process group.
    fn arm_watchdog(&mut self) -> Result<(), PostgresError> {
        let mut stop = self.server_command("pg_ctl");
        stop.arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "stop"]);
        let script = concat!(
            r#"trap "" INT TERM; cat >/dev/null; "#,
            r#"dir="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$dir""#,
        );

        let mut watchdog = Command::new("sh")
            .args(["-c", script, "hub-pg-watchdog"])
            .arg(&self.dir)
            .arg(stop.get_program())
            .args(stop.get_args())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| PostgresError::Start(format!("sh: {error}")))?;
        self.watchdog_stdin = watchdog.stdin.take();
        self.watchdog = Some(watchdog);
        Ok(())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the watchdog's stdin is its signal to stop the server and remove the
        // directory; waiting for it makes the removal done when the drop returns.
        drop(self.watchdog_stdin.take());
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.wait();
        }
    }
}

/// The directory of `initdb` and `pg_ctl`: on `PATH`, where `pg_config` says, or under
/// `/usr/lib/postgresql/<version>/bin` (Debian and Ubuntu), the newest version first.
pub(crate) fn find_bin_dir() -> Result<PathBuf, PostgresError> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));

    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));

    let candidates = on_path
        .into_iter()
        .chain(from_pg_config)
        .chain(debian.into_iter().map(|(_, dir)| dir));
    first_with_binaries(candidates)
}

/// The first directory holding both `initdb` and `pg_ctl`, or what to install.
fn first_with_binaries(
    mut candidates: impl Iterator<Item = PathBuf>,
) -> Result<PathBuf, PostgresError> {
    candidates
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .ok_or_else(|| PostgresError::NotInstalled(INSTALL_HINT.to_owned()))
}

/// `Some("postgres")` when this process is root, which the server binaries refuse to run
/// as.
fn server_user() -> Result<Option<String>, PostgresError> {
    if id(&["-u"])? != "0" {
        return Ok(None);
    }
    id(&["-u", "postgres"]).map_err(|_| {
        PostgresError::NotInstalled(format!(
            "running as root, the server binaries need a `postgres` user to run as, and \
             there is none. {INSTALL_HINT}"
        ))
    })?;
    Ok(Some("postgres".to_owned()))
}

fn id(args: &[&str]) -> Result<String, PostgresError> {
    let output = Command::new("id")
        .args(args)
        .output()
        .map_err(|error| PostgresError::Start(format!("id: {error}")))?;
    if !output.status.success() {
        return Err(PostgresError::Start(format!(
            "id {}: failed",
            args.join(" ")
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// A new directory under the system's temporary one, owned by `owner` when given.
fn fresh_dir(owner: Option<&str>) -> Result<PathBuf, PostgresError> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "hub-pg-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    );
    let dir = std::env::temp_dir().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|error| PostgresError::Start(format!("{}: {error}", dir.display())))?;

    if let Some(owner) = owner {
        give(&dir, owner)?;
    }
    Ok(dir)
}

fn give(dir: &Path, owner: &str) -> Result<(), PostgresError> {
    let uid = id(&["-u", owner])?.parse::<u32>().ok();
    let gid = id(&["-g", owner])?.parse::<u32>().ok();
    std::os::unix::fs::chown(dir, uid, gid)
        .map_err(|error| PostgresError::Start(format!("chown {}: {error}", dir.display())))
}

fn free_port() -> Result<u16, PostgresError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| PostgresError::Start(format!("no free port: {error}")))
}

fn check(output: std::process::Output, what: &str) -> Result<(), String> {
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_server_binaries_says_what_to_install() {
        let empty = std::env::temp_dir().join(format!("hub-pg-none-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();

        let error = first_with_binaries([empty.clone()].into_iter()).unwrap_err();

        let message = error.to_string();
        assert!(message.contains("set DATABASE_URL"), "{message}");
        assert!(message.contains("apt-get install postgresql"), "{message}");

        // A directory with only one of the two is not enough; with both, it is found.
        std::fs::write(empty.join("initdb"), "").unwrap();
        assert!(first_with_binaries([empty.clone()].into_iter()).is_err());
        std::fs::write(empty.join("pg_ctl"), "").unwrap();
        let found = first_with_binaries([PathBuf::from("/nonexistent"), empty.clone()].into_iter());
        assert_eq!(found.unwrap(), empty);
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
