//! A stand-in for the AWS federation endpoint (`/federation?Action=getSigninToken`): it records
//! each request's path and query and answers with a fixed sign-in token, or an HTTP error.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "fixture-signin-token+/=";

pub struct Federation {
    /// `http://127.0.0.1:PORT/federation`
    pub endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
    status: Arc<Mutex<u16>>,
}

impl Federation {
    pub fn start() -> Federation {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the federation fixture");
        let endpoint = format!("http://{}/federation", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let status = Arc::new(Mutex::new(200u16));
        let (seen, answer) = (requests.clone(), status.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Skip the headers.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(target);
                let status = *answer.lock().unwrap();
                let body = if status == 200 {
                    serde_json::json!({ "SigninToken": TOKEN }).to_string()
                } else {
                    String::new()
                };
                let mut conn = conn;
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Federation {
            endpoint,
            requests,
            status,
        }
    }

    /// Answer every request from now on with `status` (and no token unless 200).
    pub fn answer(&self, status: u16) {
        *self.status.lock().unwrap() = status;
    }

    /// The query parameters of every request so far, decoded.
    pub fn requests(&self) -> Vec<Vec<(String, String)>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|target| {
                url::Url::parse(&format!("http://x{target}"))
                    .unwrap()
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .collect()
    }
}

/// A `BROWSER` script that appends its first argument to `log`, for tests that open links.
pub fn recording_browser(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("browser.sh");
    let log = dir.join("opened.txt");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, log)
}
