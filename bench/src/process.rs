//! The servers under test as child processes: started pinned to one core with `taskset`, their
//! announced address and keys read from their output, their CPU time and peak memory read from
//! `/proc`.

use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long a server may take to announce its address.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Pins this process, all its threads included, to `core`, so the load generator does not
/// compete with the server for the server's core.
pub fn pin_self(core: usize) -> Result<()> {
    let status = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &core.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .context("running taskset (util-linux) to pin the load generator")?;
    if !status.success() {
        bail!("taskset could not pin the load generator to core {core}");
    }
    Ok(())
}

/// A server process, killed when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// The `KEY=value` lines it printed on stdout (the real server's project keys).
    pub env: HashMap<String, String>,
}

impl Server {
    /// Starts `program args` under `taskset -c core` and waits for a stderr line containing
    /// `marker` followed by `http://ADDR`, and for stdout lines `KEY=…` for each of `keys` (the
    /// two pipes are read by two threads, so their lines may arrive in either order).
    pub fn start(
        core: usize,
        program: &str,
        args: &[String],
        marker: &str,
        keys: &[&str],
    ) -> Result<Server> {
        let mut child = Command::new("taskset")
            .arg("-c")
            .arg(core.to_string())
            .arg(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {program} under taskset"))?;
        let (lines, received) = mpsc::channel();
        forward(
            child.stdout.take().expect("piped stdout"),
            Stream::Out,
            lines.clone(),
        );
        forward(
            child.stderr.take().expect("piped stderr"),
            Stream::Err,
            lines,
        );
        let mut env = HashMap::new();
        let mut addr = None;
        let prefix = format!("{marker} http://");
        loop {
            if let Some(addr) = addr {
                if keys.iter().all(|key| env.contains_key(*key)) {
                    return Ok(Server { child, addr, env });
                }
            }
            let (stream, line) = match received.recv_timeout(STARTUP_TIMEOUT) {
                Ok(line) => line,
                Err(_) => {
                    let _ = child.kill();
                    bail!(
                        "{program} did not announce `{marker}` and {keys:?} (exited or timed out)"
                    );
                }
            };
            match stream {
                Stream::Out => {
                    if let Some((key, value)) = line.split_once('=') {
                        env.insert(key.to_owned(), value.to_owned());
                    }
                }
                Stream::Err => match line.split(&prefix).nth(1) {
                    Some(announced) => {
                        addr = Some(
                            announced
                                .trim()
                                .parse()
                                .with_context(|| format!("parsing the address in {line:?}"))?,
                        );
                    }
                    None => eprintln!("  server: {line}"),
                },
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time used so far, user and system.
    pub fn cpu_seconds(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the parenthesised command name: state is the 1st, utime the 12th and
        // stime the 13th (fields 14 and 15 of proc(5)), in clock ticks of 1/100 s on Linux.
        let rest = stat.rsplit_once(')').context("parsing /proc/PID/stat")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(ticks as f64 / 100.0)
    }

    /// Peak resident memory (VmHWM) since start or since the last [`Server::reset_peak_rss`],
    /// in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .context("no VmHWM in /proc/PID/status")?;
        Ok(line
            .split_whitespace()
            .nth(1)
            .context("parsing VmHWM")?
            .parse()?)
    }

    /// Resets the peak resident memory to the current one, so each workload reports its own
    /// peak. Best effort: on a kernel that refuses, peaks accumulate over the run.
    pub fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Out,
    Err,
}

/// Sends each line of a child's output to `lines` while the start-up waits for it; afterwards
/// keeps draining it, so the child never blocks on a full pipe, and shows what it says on stderr.
fn forward(
    output: impl Read + Send + 'static,
    stream: Stream,
    lines: mpsc::Sender<(Stream, String)>,
) {
    thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if let Err(mpsc::SendError((Stream::Err, line))) = lines.send((stream, line)) {
                eprintln!("  server: {line}");
            }
        }
    });
}
