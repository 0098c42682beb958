//! A fault-injecting HTTP proxy between rolecall and the emulator, for the reliability tests.
//!
//! Each connection carries one request (the emulator closes its connections after each answer
//! too). What happens to it depends on the fault set at the moment it arrives: passed through
//! (and the answer recorded, so tests can find the credentials the emulator issued), held
//! without an answer (a hung endpoint), or answered with a canned error (throttling, an expired
//! token). Plain threads: it must keep working while a test blocks on the binary.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Fault {
    /// Forward to the emulator.
    Pass,
    /// Read the request, never answer (until the client gives up).
    Hang,
    /// Answer with this status and XML body.
    Reply { status: u16, body: String },
}

#[derive(Default)]
struct State {
    fault: Option<Fault>,
    /// Requests left to answer with `fault` before going back to passing through; `None`: all.
    remaining: Option<usize>,
    /// Only requests whose bytes hold this get `fault` (the others pass).
    only: Option<Vec<u8>>,
    recorded: Vec<u8>,
    requests: usize,
    /// Every request's bytes, as sent (to count the calls of one action).
    sent: Vec<Vec<u8>>,
    /// Each request's first line (`POST / HTTP/1.1`, or in absolute form when rolecall used
    /// it as its HTTP_PROXY).
    request_lines: Vec<String>,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

/// An AWS query-protocol error body, as STS and EC2 send it.
pub fn aws_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
         <Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
    )
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://host:port`), passing everything through.
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("an http:// upstream")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let state = shared.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, &upstream, &state);
                });
            }
        });
        FaultProxy { endpoint, state }
    }

    /// The first line of every request so far.
    pub fn request_lines(&self) -> Vec<String> {
        self.state.lock().unwrap().request_lines.clone()
    }

    /// Applies `fault` to every request from now on.
    pub fn set(&self, fault: Fault) {
        let mut s = self.state.lock().unwrap();
        s.fault = Some(fault);
        s.remaining = None;
        s.only = None;
    }

    /// Applies `fault` to every request that holds `needle` (an `X-Amz-Target`, an `Action=`),
    /// passing the others through.
    pub fn set_for(&self, needle: &str, fault: Fault) {
        let mut s = self.state.lock().unwrap();
        s.fault = Some(fault);
        s.remaining = None;
        s.only = Some(needle.as_bytes().to_vec());
    }

    /// Applies `fault` to the next `n` requests, then passes through again.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        let mut s = self.state.lock().unwrap();
        s.fault = Some(fault);
        s.remaining = Some(n);
        s.only = None;
    }

    /// Everything the emulator answered so far, as text.
    pub fn recorded(&self) -> String {
        String::from_utf8_lossy(&self.state.lock().unwrap().recorded).into_owned()
    }

    /// Requests so far whose bytes hold `needle` (an `Action=DescribeRegions`), whatever
    /// happened to them.
    pub fn requests_holding(&self, needle: &str) -> usize {
        let needle = needle.as_bytes();
        self.state
            .lock()
            .unwrap()
            .sent
            .iter()
            .filter(|r| r.windows(needle.len()).any(|w| w == needle))
            .count()
    }

    /// Requests seen so far, whatever happened to them.
    pub fn requests(&self) -> usize {
        self.state.lock().unwrap().requests
    }

    /// Every value of `<name>…</name>` in the recorded answers (e.g. each SecretAccessKey issued).
    pub fn recorded_values(&self, name: &str) -> Vec<String> {
        let text = self.recorded();
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            if let Some(j) = rest.find(&close) {
                out.push(rest[..j].to_string());
                rest = &rest[j..];
            }
        }
        out
    }
}

fn next_fault(state: &Mutex<State>, request: &[u8]) -> Fault {
    let mut s = state.lock().unwrap();
    s.requests += 1;
    s.sent.push(request.to_vec());
    if let Some(needle) = &s.only {
        if !request.windows(needle.len()).any(|w| w == &needle[..]) {
            return Fault::Pass;
        }
    }
    let fault = s.fault.clone().unwrap_or(Fault::Pass);
    match s.remaining {
        Some(0) => Fault::Pass,
        Some(n) => {
            s.remaining = Some(n - 1);
            fault
        }
        None => fault,
    }
}

/// Reads one HTTP/1.1 request (head and Content-Length body) and returns its bytes, asking the
/// upstream to close the connection after answering it.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        // One request per connection: ask the emulator to close after answering.
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    head.extend_from_slice(&body);
    Ok(Some(head))
}

fn serve(client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    let first = String::from_utf8_lossy(&request)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    state.lock().unwrap().request_lines.push(first);
    let mut client = client;
    match next_fault(state, &request) {
        Fault::Pass => {
            let mut up = TcpStream::connect(upstream)?;
            up.set_read_timeout(Some(Duration::from_secs(60)))?;
            up.write_all(&request)?;
            let mut answer = Vec::new();
            up.read_to_end(&mut answer)?;
            state.lock().unwrap().recorded.extend_from_slice(&answer);
            client.write_all(&answer)?;
        }
        Fault::Hang => {
            // Hold the connection until the client gives up on it.
            let mut sink = [0u8; 1024];
            while reader.read(&mut sink)? > 0 {}
            return Ok(());
        }
        Fault::Reply { status, body } => {
            let reason = if status < 500 { "Bad Request" } else { "Error" };
            write!(
                client,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
    }
    client.flush()?;
    client.shutdown(Shutdown::Both)
}
