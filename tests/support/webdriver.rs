//! A real browser for the board view's tests: Debian's headless Chromium driven through
//! chromedriver's W3C WebDriver endpoint (plain HTTP/1.1 with JSON bodies, spoken here over a
//! `TcpStream`, one request per connection). The browser clicks and types as a person does:
//! WebDriver's element click and send-keys dispatch real input events.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::brokers::free_port;
use super::deadlines::wait_until;

/// Where Debian's `chromium` and `chromium-driver` packages put them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// WebDriver's key for Enter (in send-keys text).
pub const ENTER: &str = "\u{E007}";

/// A chromedriver process with one headless Chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a window of `width` x `height`.
    pub fn start(width: u32, height: u32) -> Browser {
        for tool in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: the board view's browser tests need Debian's chromium and \
                 chromium-driver packages (scripts/test.sh installs them)"
            );
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut browser = Browser {
            driver,
            port,
            session: String::new(),
        };
        let ready = wait_until(Duration::from_secs(20), || {
            browser
                .try_request("GET", "/status", None)
                .is_some_and(|v| v["value"]["ready"] == true)
        });
        assert!(ready, "chromedriver did not become ready on port {port}");
        let session = browser.request(
            "POST",
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--no-first-run",
                        format!("--window-size={width},{height}"),
                    ],
                },
            }}})),
        );
        browser.session = session["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session in {session}"))
            .to_string();
        browser
    }

    fn try_request(&self, method: &str, path: &str, body: Option<Value>) -> Option<Value> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .ok()?;
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        // chromedriver keeps the connection open whatever the request says: read the head,
        // then as many bytes as it announces.
        let mut response = Vec::new();
        let mut byte = [0u8; 1];
        while !response.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).ok()?;
            response.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&response).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|n| n.trim().parse().ok())?;
        let mut body = vec![0u8; length];
        stream.read_exact(&mut body).ok()?;
        serde_json::from_slice(&body).ok()
    }

    /// One WebDriver command; its `value`, or a panic naming WebDriver's error.
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let reply = self
            .try_request(method, path, body)
            .unwrap_or_else(|| panic!("chromedriver did not answer {method} {path}"));
        if let Some(error) = reply["value"]["error"].as_str() {
            panic!(
                "{method} {path}: {error}: {}",
                reply["value"]["message"].as_str().unwrap_or("")
            );
        }
        reply["value"].clone()
    }

    fn command(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.request(method, &format!("/session/{}/{what}", self.session), body)
    }

    pub fn open(&self, url: &str) {
        self.command("POST", "url", Some(json!({"url": url})));
    }

    /// The element `css` selects (it must exist now).
    pub fn find(&self, css: &str) -> Element<'_> {
        let found = self.command(
            "POST",
            "element",
            Some(json!({"using": "css selector", "value": css})),
        );
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element id in {found}"))
            .to_string();
        Element { browser: self, id }
    }

    /// Runs `script` (a function body; `return` gives its value) in the page.
    pub fn eval(&self, script: &str) -> Value {
        self.command(
            "POST",
            "execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Waits until `script` returns true in the page, or panics after `timeout` with what
    /// `explain` (another script) says about the page then.
    pub fn wait_for(&self, timeout: Duration, script: &str, explain: &str) {
        if !wait_until(timeout, || self.eval(script) == Value::Bool(true)) {
            panic!(
                "the page never had `{script}`; {explain} gives {}",
                self.eval(explain)
            );
        }
    }

    /// A PNG of the window.
    pub fn screenshot(&self) -> Vec<u8> {
        let encoded = self.command("GET", "screenshot", None);
        decode_base64(encoded.as_str().expect("a base64 screenshot"))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_request("DELETE", &format!("/session/{}", self.session), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// An element of the page.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    pub fn click(&self) {
        self.browser.command(
            "POST",
            &format!("element/{}/click", self.id),
            Some(json!({})),
        );
    }

    pub fn clear(&self) {
        self.browser.command(
            "POST",
            &format!("element/{}/clear", self.id),
            Some(json!({})),
        );
    }

    /// Types `text` into the element, as keys.
    pub fn type_keys(&self, text: &str) {
        self.browser.command(
            "POST",
            &format!("element/{}/value", self.id),
            Some(json!({"text": text})),
        );
    }
}

/// Standard base64 (what WebDriver's screenshots are) to bytes.
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .map(value)
        .collect();
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, d)| n | u32::from(*d) << (18 - 6 * i));
        bytes.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    bytes
}
