//! The load generator: a fixed number of keep-alive HTTP/1.1 connections, each sending its next
//! request as soon as the previous answer has been read, for a fixed time.
//!
//! Each connection is a hyper client connection of its own (no pool), so the number of
//! connections the server sees is exactly the one asked for.

use anyhow::{Context, Result};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One request a connection sends.
pub struct Call {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    /// JSON body; empty for none.
    pub body: Bytes,
}

/// What a connection sends, request after request.
pub trait Script: Send {
    /// The next request.
    fn next(&mut self) -> Call;
    /// Sees the answer to the request [`Script::next`] returned last (create+delete needs the
    /// created id).
    fn observe(&mut self, _status: StatusCode, _body: &Bytes) {}
}

/// The measured part of a run.
pub struct Outcome {
    /// Answers received inside the measured window, successful or not.
    pub requests: u64,
    /// Answers that were not 2xx, and connection failures.
    pub errors: u64,
    /// Latency of every answer inside the window, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Length of the measured window (until the last connection stopped).
    pub elapsed: Duration,
    /// The first error seen, to tell what went wrong.
    pub first_error: Option<String>,
}

impl Outcome {
    /// Answers per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s at three significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// Drives `connections` connections to `addr` for `duration`, each running the script
/// `script(i)` makes for it.
pub async fn drive(
    addr: SocketAddr,
    connections: usize,
    duration: Duration,
    script: &impl Fn(usize) -> Box<dyn Script>,
) -> Result<Outcome> {
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for i in 0..connections {
        let script = script(i);
        tasks.push(tokio::spawn(connection(addr, script, end)));
    }
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        latency_us: histogram(),
        elapsed: Duration::ZERO,
        first_error: None,
    };
    for task in tasks {
        let one = task.await.context("a connection task panicked")?;
        outcome.requests += one.requests;
        outcome.errors += one.errors;
        outcome
            .latency_us
            .add(&one.latency_us)
            .context("merging latency histograms")?;
        if outcome.first_error.is_none() {
            outcome.first_error = one.first_error;
        }
    }
    outcome.elapsed = start.elapsed();
    Ok(outcome)
}

/// One connection's loop. A connection that fails is opened again (counting an error), so a
/// server that drops connections shows up as errors, not as a quietly smaller load.
async fn connection(addr: SocketAddr, mut script: Box<dyn Script>, end: Instant) -> Outcome {
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        latency_us: histogram(),
        elapsed: Duration::ZERO,
        first_error: None,
    };
    let fail = |outcome: &mut Outcome, message: String| {
        outcome.errors += 1;
        outcome.first_error.get_or_insert(message);
    };
    'connect: while Instant::now() < end {
        let mut sender = match Connection::open(addr).await {
            Ok(sender) => sender,
            Err(e) => {
                fail(&mut outcome, format!("{e:#}"));
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while Instant::now() < end {
            let call = script.next();
            let sent = Instant::now();
            let answer = sender.send(call).await;
            let took = sent.elapsed();
            match answer {
                Ok((status, body)) => {
                    outcome.requests += 1;
                    // Saturates at the histogram's top (60 s) rather than failing.
                    outcome
                        .latency_us
                        .saturating_record(took.as_micros() as u64);
                    if !status.is_success() {
                        fail(
                            &mut outcome,
                            format!("{status}: {}", String::from_utf8_lossy(&body)),
                        );
                    }
                    script.observe(status, &body);
                }
                Err(e) => {
                    fail(&mut outcome, format!("connection failed: {e}"));
                    continue 'connect;
                }
            }
        }
    }
    outcome
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection(http1::SendRequest<Full<Bytes>>);

impl Connection {
    /// Connects to `addr`.
    pub async fn open(addr: SocketAddr) -> Result<Connection> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            // Ends when the connection closes; the request that saw the close reports it.
            let _ = connection.await;
        });
        Ok(Connection(sender))
    }

    /// Sends `call` and reads the whole answer.
    pub async fn send(&mut self, call: Call) -> Result<(StatusCode, Bytes), hyper::Error> {
        let mut request = Request::new(Full::new(call.body));
        *request.method_mut() = call.method;
        *request.uri_mut() = call.uri.parse().expect("the bench builds valid paths");
        *request.headers_mut() = call.headers;
        request
            .headers_mut()
            .insert(http::header::HOST, HeaderValue::from_static("127.0.0.1"));
        let response = self.0.send_request(request).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}
