//! Running the real `contact-channels` binary from integration tests.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `contact-channels serve`.
pub struct Served {
    pub child: Child,
    /// Its base URL.
    pub url: String,
    /// The `STACK_...` lines it printed (empty unless the database was empty).
    pub env: HashMap<String, String>,
}

impl Drop for Served {
    /// A test that fails half-way must not leave its server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free port with `--database database` and more global `options` (such as
/// `--outbox DIR`), and waits for it to say where it listens.
pub fn serve_with(database: &str, options: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_contact-channels"))
        .args(["--database", database])
        .args(options)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            match line.strip_prefix("contact-channels listening on ") {
                Some(url) => {
                    let _ = tx.send(url.to_owned());
                }
                None => eprintln!("[server] {line}"),
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server says where it listens");
    // The keys are printed before the listening line; read what is there without blocking on
    // the open pipe.
    let (ktx, krx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = ktx.send(line);
        }
    });
    let mut env = HashMap::new();
    while let Ok(line) = krx.recv_timeout(Duration::from_millis(300)) {
        let (key, value) = line.split_once('=').expect("env-style lines");
        env.insert(key.to_owned(), value.to_owned());
    }
    Served { child, url, env }
}
