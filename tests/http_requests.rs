//! `requests` and `urequests` (pylib/requests/): scripts written for MicroPython's HTTP client
//! against a web server of the test's own, over plain HTTP and over TLS with a CA the test
//! makes. The server records every request it gets, so each test checks both sides: what the
//! script printed, and the method, path, header fields and body that reached the server.

#[allow(dead_code)]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use support::brokers::free_port;
use support::certs::{Issued, TestPki};
use support::processes::{Finished, Pymqtt};
use support::scripts::TempDir;

/// How long one script may take; only a failing test waits this long.
const RUN: Duration = Duration::from_secs(30);

/// What `/private` wants: `Basic base64("alice:wonder land ü")`, UTF-8 inside.
const ALICE: &str = "Basic YWxpY2U6d29uZGVyIGxhbmQgw7w=";

// ---------------------------------------------------------------------------------------------
// The web server
// ---------------------------------------------------------------------------------------------

/// One request as the server read it.
#[derive(Clone, Debug)]
struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the body came with `Transfer-Encoding: chunked`.
    chunked: bool,
}

impl Request {
    /// Every value of the field `name` (any case), in order.
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of `name`; fails if the field is missing or repeated.
    fn header(&self, name: &str) -> &str {
        match self.all(name)[..] {
            [value] => value,
            ref values => panic!("{name}: {values:?} in {self:#?}"),
        }
    }

    fn has(&self, name: &str) -> bool {
        !self.all(name).is_empty()
    }

    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A web server on a loopback port, in threads of the test process: it answers the paths
/// [`answer`] knows and records every request. Stops on drop.
struct WebServer {
    addr: SocketAddr,
    tls: bool,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    thread: Option<JoinHandle<()>>,
}

impl WebServer {
    fn start() -> WebServer {
        Self::start_with(None)
    }

    /// Serves https with this certificate (as `TestPki` writes them).
    fn start_tls(issued: &Issued) -> WebServer {
        Self::start_with(Some(issued.server_config()))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> WebServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the web server");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let serves_tls = tls.is_some();
        let thread = {
            let (stop, requests) = (Arc::clone(&stop), Arc::clone(&requests));
            thread::Builder::new()
                .name("web-server".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        // A script that stops talking must not keep a thread for ever.
                        let _ = stream.set_read_timeout(Some(RUN));
                        let requests = Arc::clone(&requests);
                        let tls = tls.clone();
                        thread::spawn(move || match tls {
                            None => serve(stream, addr, &requests),
                            Some(config) => {
                                let Ok(session) = rustls::ServerConnection::new(config) else {
                                    return;
                                };
                                serve(rustls::StreamOwned::new(session, stream), addr, &requests);
                            }
                        });
                    }
                })
                .expect("spawn the web server")
        };
        WebServer {
            addr,
            tls: serves_tls,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// The URL of the server's root, without the final slash: `BASE` in the scripts. The TLS
    /// one names localhost, as the test's certificate does.
    fn base(&self) -> String {
        match self.tls {
            true => format!("https://localhost:{}", self.addr.port()),
            false => format!("http://127.0.0.1:{}", self.addr.port()),
        }
    }

    /// The requests received so far, in order.
    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The one request made to `target`; fails, listing all requests, if there is not exactly
    /// one.
    fn only(&self, target: &str) -> Request {
        let all = self.requests();
        let to: Vec<&Request> = all.iter().filter(|r| r.target == target).collect();
        match to[..] {
            [one] => one.clone(),
            _ => panic!("{} requests to {target}; all requests: {all:#?}", to.len()),
        }
    }

    /// The method and target of every request, in order.
    fn log(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect()
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request from `stream`, records it, and writes [`answer`]'s reply.
fn serve(mut stream: impl Read + Write, addr: SocketAddr, requests: &Mutex<Vec<Request>>) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    requests.lock().unwrap().push(request.clone());
    match answer(&request, addr) {
        Some(reply) => {
            let _ = stream.write_all(&reply);
            let _ = stream.flush();
        }
        // No answer: wait until the client gives up and closes (or the read timeout).
        None => {
            let _ = stream.read(&mut [0u8; 1]);
        }
    }
}

fn read_request(stream: &mut impl Read) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace().map(str::to_string);
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        target,
        version,
        headers,
        body: Vec::new(),
        chunked: false,
    };
    if request
        .all("transfer-encoding")
        .iter()
        .any(|v| v.contains("chunked"))
    {
        request.chunked = true;
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            assert_eq!(&chunk[size..], b"\r\n", "a chunk ends with CRLF");
            if size == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk[..size]);
        }
    } else if request.has("content-length") {
        let length: usize = request.header("content-length").parse().ok()?;
        request.body = vec![0; length];
        reader.read_exact(&mut request.body).ok()?;
    }
    Some(request)
}

/// An answer with a Content-Length.
fn reply(status: &str, fields: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in fields {
        head += &format!("{name}: {value}\r\n");
    }
    head += &format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

fn redirect(status: &str, location: &str) -> Vec<u8> {
    reply(status, &[("Location", location)], b"moved\n")
}

/// What the server answers to `request`; None: nothing, ever.
fn answer(request: &Request, addr: SocketAddr) -> Option<Vec<u8>> {
    let path = request.target.split('?').next().unwrap_or_default();
    Some(match path {
        "/text" => reply(
            "200 OK",
            &[("Content-Type", "text/plain; charset=utf-8")],
            "hello from the test server\nsecond line: grüße\n".as_bytes(),
        ),
        "/json" => reply(
            "200 OK",
            &[("content-type", "application/json")],
            br#"{"temperature": 21.5, "sensors": ["a", "b"], "ok": true}"#,
        ),
        // Answers with the body it was sent and says what it saw.
        "/echo" => reply(
            "201 Created",
            &[
                ("X-Method", &request.method),
                ("X-Chunked", if request.chunked { "yes" } else { "no" }),
            ],
            &request.body,
        ),
        // A repeated field, and a name in lower case.
        "/fields" => b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nx-lower-case: v\r\n\
                        Set-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"
            .to_vec(),
        "/missing" | "/" => reply(
            "404 Not Found",
            &[("Content-Type", "text/plain")],
            b"no such page\n",
        ),
        "/private" => match request.all("authorization")[..] {
            [ALICE] => reply("200 OK", &[], b"welcome, alice\n"),
            _ => reply(
                "401 Unauthorized",
                &[("WWW-Authenticate", "Basic realm=\"test\"")],
                b"who are you?\n",
            ),
        },
        // A body in chunks, sizes in both cases of hex, a chunk extension and a trailer field.
        "/chunked" => b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
                        Content-Type: text/plain\r\n\r\n\
                        6\r\nfirst \r\n\
                        1a;name=value\r\nline one\nline two\nline thr\r\n\
                        B\r\nee\nthe end\n\r\n\
                        0\r\nX-Checksum: none\r\n\r\n"
            .to_vec(),
        // The length promises more than is sent before the connection closes.
        "/short" => b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this".to_vec(),
        // An interim answer before the real one.
        "/continue" => b"HTTP/1.1 100 Continue\r\n\r\n\
                         HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"
            .to_vec(),
        "/moved" => redirect("301 Moved Permanently", "/text"),
        "/found/deeper" => redirect("302 Found", "../json"),
        "/see-other" => redirect("303 See Other", &format!("http://{addr}/echo?after=303")),
        "/temporary" => redirect("307 Temporary Redirect", "/echo?after=307"),
        "/permanent/here" => redirect("308 Permanent Redirect", "/echo?after=308"),
        "/loop" => redirect("302 Found", "/loop"),
        "/to-private" => redirect("302 Found", "/private?redirected"),
        // To wherever the query says.
        "/go" => redirect("302 Found", request.target.split_once("?to=")?.1),
        "/hang" => return None,
        _ => reply("404 Not Found", &[], b"unknown\n"),
    })
}

// ---------------------------------------------------------------------------------------------
// Running scripts
// ---------------------------------------------------------------------------------------------

/// Runs `body` with `BASE` (the server's root URL) defined, `requests` imported and the
/// test's CA as the system's only one, and returns the finished run (exit status 0).
fn run(server: &WebServer, body: &str, envs: &[(&str, &Path)]) -> Finished {
    let dir = TempDir::new("requests");
    let script = format!("import requests\nBASE = {:?}\n{body}", server.base());
    let mut pymqtt = Pymqtt::script(&dir, "web.py", &script);
    for (name, value) in envs {
        pymqtt = pymqtt.env(name, value);
    }
    let done = pymqtt.run(RUN);
    done.assert_code(0);
    done
}

/// The lines a script printed, compared with the lines it should have printed.
fn assert_lines(done: &Finished, expected: &[&str]) {
    assert_eq!(done.stdout_lines(), expected, "{}", done.describe());
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn get_reads_text_json_and_header_fields() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
r = requests.get(BASE + "/text")
print(r.status_code, r.reason, r.headers["Content-Type"], r.headers["content-type"])
print(repr(r.text))
print(r.content == r.text.encode(), r.raw)
r.close()
r = requests.get(BASE + "/json?unit=C")
print(r.status_code, r.json()["temperature"], r.json()["sensors"], r.headers["Content-Type"])
r = requests.get(BASE + "/fields")
print(sorted(r.headers.items()), "X-Lower-Case" in r.headers, r.headers.get("SET-COOKIE"))
r = requests.get(BASE + "/fields", parse_headers=False)
print(r.headers, r.text)
seen = []
r = requests.get(BASE + "/fields", parse_headers=lambda line, d: seen.append(line))
print(seen[0], len(seen), r.text)
r = requests.get(BASE + "/continue")
print(r.status_code, r.text)
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            "200 b'OK' text/plain; charset=utf-8 text/plain; charset=utf-8",
            "'hello from the test server\\nsecond line: grüße\\n'",
            "True None",
            "200 21.5 ['a', 'b'] application/json",
            "[('Content-Length', '2'), ('Set-Cookie', 'a=1, b=2'), ('x-lower-case', 'v')] True \
             a=1, b=2",
            "{} ok",
            "b'Set-Cookie: a=1\\r\\n' 4 ok",
            "200 final",
        ],
    );
    let get = server.only("/text");
    assert_eq!(
        (get.method.as_str(), get.version.as_str()),
        ("GET", "HTTP/1.1")
    );
    assert_eq!(
        get.header("Host"),
        format!("127.0.0.1:{}", server.addr.port())
    );
    assert_eq!(get.header("Connection"), "close");
    assert!(
        !get.has("Content-Length") && get.body.is_empty(),
        "{get:#?}"
    );
    assert_eq!(server.only("/json?unit=C").method, "GET");
}

#[test]
fn post_sends_json_and_data_as_given() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
r = requests.post(BASE + "/echo?as=json", json={"t": 21.5, "name": "pi", "on": True})
print(r.status_code, r.reason, r.headers["X-Method"], r.text)
r = requests.post(BASE + "/echo?as=str", data="temperature=21.5&place=küche")
print(r.text)
r = requests.put(BASE + "/echo?as=bytes", data=b"\x00\x01\xff")
print(r.headers["X-Method"], r.content)
r = requests.patch(BASE + "/echo?as=iterator", data=(part for part in [b"one,", "two,", b"three"]))
print(r.headers["X-Method"], r.headers["X-Chunked"], r.text)
r = requests.delete(BASE + "/echo?as=nothing")
print(r.headers["X-Method"], repr(r.text))
r = requests.head(BASE + "/text")
print(r.status_code, r.headers["Content-Length"], repr(r.text))
r = requests.request("POST", BASE + "/echo?as=empty")
print(r.status_code, repr(r.text))
try:
    requests.post(BASE + "/echo", data={"a": 1})
except TypeError as e:
    print("TypeError", e)
try:
    requests.post(BASE + "/echo", data="a", json=1)
except ValueError as e:
    print("ValueError", e)
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            r#"201 b'Created' POST {"t": 21.5, "name": "pi", "on": true}"#,
            "temperature=21.5&place=küche",
            "PUT b'\\x00\\x01\\xff'",
            "PATCH yes one,two,three",
            "DELETE ''",
            "200 48 ''",
            "201 ''",
            "TypeError data= takes str, bytes or an iterator of them, not dict (json= sends a \
             dict as JSON)",
            "ValueError give data= or json=, not both",
        ],
    );
    let json = server.only("/echo?as=json");
    assert_eq!(json.method, "POST");
    assert_eq!(json.header("Content-Type"), "application/json");
    assert_eq!(json.body_text(), r#"{"t": 21.5, "name": "pi", "on": true}"#);
    assert_eq!(json.header("Content-Length"), json.body.len().to_string());
    let text = server.only("/echo?as=str");
    assert_eq!(text.body_text(), "temperature=21.5&place=küche");
    assert_eq!(text.header("Content-Length"), "29");
    assert!(!text.has("Content-Type"), "{text:#?}");
    assert_eq!(server.only("/echo?as=bytes").body, b"\x00\x01\xff");
    let chunked = server.only("/echo?as=iterator");
    assert!(
        chunked.chunked && !chunked.has("Content-Length"),
        "{chunked:#?}"
    );
    assert_eq!(chunked.body_text(), "one,two,three");
    let delete = server.only("/echo?as=nothing");
    assert!(
        !delete.has("Content-Length") && delete.body.is_empty(),
        "{delete:#?}"
    );
    assert_eq!(server.only("/text").method, "HEAD");
    // A POST without a body still says how long it is: some servers want a length.
    assert_eq!(server.only("/echo?as=empty").header("Content-Length"), "0");
    // The two refused calls sent nothing.
    assert_eq!(server.requests().len(), 7, "{:?}", server.log());
}

#[test]
fn the_scripts_header_fields_are_sent_and_its_dict_left_alone() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
fields = {"X-Device": "pico-1", "user-agent": "sensor/1.0", b"X-Bytes": b"raw", "X-Number": 7,
          "content-type": "text/csv"}
r = requests.post(BASE + "/echo?fields", data="a,b\n1,2\n", headers=fields)
print(r.status_code, list(fields))
r = requests.get(BASE + "/echo?host", headers={"Host": "sensor.example", "Connection": "close"})
print(r.status_code)
try:
    requests.get(BASE + "/echo", headers={"X-Evil": "a\r\nX-Injected: 1"})
except ValueError as e:
    print("ValueError")
r = requests.get(BASE + "/echo?path with spaces/é")
print(r.status_code)
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            "201 ['X-Device', 'user-agent', b'X-Bytes', 'X-Number', 'content-type']",
            "201",
            "ValueError",
            "201",
        ],
    );
    let sent = server.only("/echo?fields");
    assert_eq!(sent.header("X-Device"), "pico-1");
    assert_eq!(sent.header("User-Agent"), "sensor/1.0");
    assert_eq!(sent.header("X-Bytes"), "raw");
    assert_eq!(sent.header("X-Number"), "7");
    // The script's Content-Type, and only that one.
    assert_eq!(sent.header("Content-Type"), "text/csv");
    assert_eq!(sent.body_text(), "a,b\n1,2\n");
    let host = server.only("/echo?host");
    assert_eq!(host.header("Host"), "sensor.example");
    assert_eq!(host.header("Connection"), "close");
    // A space or a non-ASCII letter cannot break the request line.
    server.only("/echo?path%20with%20spaces/%C3%A9");
    assert_eq!(server.requests().len(), 3, "{:?}", server.log());
}

#[test]
fn redirects_are_followed_as_micropython_lib_does_with_a_limit() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
r = requests.get(BASE + "/moved")
print(r.status_code, r.url.endswith("/text"), r.text.splitlines()[0])
r = requests.get(BASE + "/found/deeper")
print(r.status_code, r.url.endswith("/json"), r.json()["ok"])
r = requests.post(BASE + "/see-other", data="dropped", timeout=5)
print(r.status_code, r.headers["X-Method"], repr(r.text))
r = requests.post(BASE + "/temporary", json={"kept": 307})
print(r.status_code, r.headers["X-Method"], r.text)
r = requests.put(BASE + "/permanent/here", data=b"kept 308")
print(r.status_code, r.headers["X-Method"], r.text)
try:
    requests.get(BASE + "/loop")
except ValueError as e:
    print("ValueError", str(e).startswith("HTTP error: more than 10 redirects"))
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            "200 True hello from the test server",
            "200 True True",
            "201 GET ''",
            r#"201 POST {"kept": 307}"#,
            "201 PUT kept 308",
            "ValueError True",
        ],
    );
    let log = server.log();
    let expected_start = [
        "GET /moved",
        "GET /text",
        "GET /found/deeper",
        "GET /json",
        "POST /see-other",
        "GET /echo?after=303",
        "POST /temporary",
        "POST /echo?after=307",
        "PUT /permanent/here",
        "PUT /echo?after=308",
    ];
    assert_eq!(log[..expected_start.len()], expected_start, "{log:?}");
    // The first request to /loop and ten redirects, no more.
    assert_eq!(log[expected_start.len()..], ["GET /loop"; 11], "{log:?}");
    // 303 turns the POST into a GET without its body; 307 and 308 send the body again.
    let after_303 = server.only("/echo?after=303");
    assert!(
        after_303.body.is_empty() && !after_303.has("Content-Length"),
        "{after_303:#?}"
    );
    let after_307 = server.only("/echo?after=307");
    assert_eq!(after_307.body_text(), r#"{"kept": 307}"#);
    assert_eq!(after_307.header("Content-Type"), "application/json");
    assert_eq!(server.only("/echo?after=308").body, b"kept 308");
}

#[test]
fn a_chunked_answer_is_decoded_for_content_and_for_raw_reads() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
r = requests.get(BASE + "/chunked")
print(repr(r.text))
r = requests.get(BASE + "/chunked")
print(r.raw.read(3), r.raw.readline(), r.raw.readline())
buf = bytearray(10)
print(r.raw.readinto(buf), bytes(buf))
print(r.raw.read(), r.raw.read(5))
r.close()
r = requests.get(BASE + "/chunked")
r.close()
try:
    r.content
except OSError as e:
    print("OSError", e.args[0])
try:
    requests.get(BASE + "/short").content
except ValueError as e:
    print("ValueError", e)
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            "'first line one\\nline two\\nline three\\nthe end\\n'",
            "b'fir' b'st line one\\n' b'line two\\n'",
            "10 b'line three'",
            "b'\\nthe end\\n' b''",
            "OSError 9",
            "ValueError HTTP error: the connection closed before the end of the body",
        ],
    );
}

#[test]
fn an_error_status_is_a_response_not_an_exception() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
r = requests.get(BASE + "/missing")
print(r.status_code, r.reason, r.headers["Content-Type"], repr(r.text))
print(r)
"#,
        &[],
    );
    assert_lines(
        &done,
        &[
            "404 b'Not Found' text/plain 'no such page\\n'",
            "<Response [404]>",
        ],
    );
}

#[test]
fn basic_auth_sends_the_credentials_to_their_host_only() {
    let server = WebServer::start();
    let other = WebServer::start();
    let done = run(
        &server,
        &format!(
            r#"
OTHER = {:?}
r = requests.get(BASE + "/private")
print(r.status_code, r.headers["WWW-Authenticate"], r.text.strip())
r = requests.get(BASE + "/private?auth", auth=("alice", "wonder land ü"))
print(r.status_code, r.text.strip())
r = requests.get(BASE + "/to-private", auth=(b"alice", "wonder land ü".encode()))
print(r.status_code, r.text.strip())
r = requests.get(BASE + "/private?wrong", auth=("alice", "guess"))
print(r.status_code)
r = requests.get(BASE + "/go?to=" + OTHER + "/private?auth", auth=("alice", "wonder land ü"))
print(r.status_code)
r = requests.get(BASE + "/go?to=" + OTHER + "/private?field", headers={{"Authorization": {ALICE:?}}})
print(r.status_code)
"#,
            other.base()
        ),
        &[],
    );
    assert_lines(
        &done,
        &[
            "401 Basic realm=\"test\" who are you?",
            "200 welcome, alice",
            "200 welcome, alice",
            "401",
            "401",
            "401",
        ],
    );
    assert!(!server.only("/private").has("Authorization"));
    assert_eq!(server.only("/private?auth").header("Authorization"), ALICE);
    assert_ne!(server.only("/private?wrong").header("Authorization"), ALICE);
    // A redirect on the same server keeps the credentials...
    assert_eq!(server.only("/to-private").header("Authorization"), ALICE);
    assert_eq!(
        server.only("/private?redirected").header("Authorization"),
        ALICE
    );
    // ... one to another server drops them, given as auth= or as a field.
    assert_eq!(other.log(), ["GET /private?auth", "GET /private?field"]);
    for request in other.requests() {
        assert!(!request.has("Authorization"), "{request:#?}");
    }
    let to_other: Vec<Request> = server
        .requests()
        .into_iter()
        .filter(|r| r.target.starts_with("/go"))
        .collect();
    assert_eq!(to_other.len(), 2, "{:?}", server.log());
    for request in to_other {
        assert_eq!(request.header("Authorization"), ALICE);
    }
}

#[test]
fn https_is_verified_against_the_systems_cas() {
    let pki = TestPki::new();
    let server = WebServer::start_tls(&pki.server);
    let no_dir = pki.dir.path().join("no-such-dir");
    // The test's CA stands for the system's (SSL_CERT_FILE), as for a private CA.
    let done = run(
        &server,
        r#"
r = requests.get(BASE + "/json")
print(r.status_code, r.json())
r = requests.post(BASE + "/echo", json=[1, 2])
print(r.status_code, r.text)
r = requests.get(BASE + "/chunked")
print(r.text.splitlines()[-1])
r = requests.get(BASE + "/moved")
print(r.url == BASE + "/text", r.text.splitlines()[0])
try:
    requests.get(BASE + "/hang", timeout=0.5)
except OSError as e:
    print("timeout", e.args[0])
"#,
        &[("SSL_CERT_FILE", &pki.ca), ("SSL_CERT_DIR", &no_dir)],
    );
    assert_lines(
        &done,
        &[
            "200 {'temperature': 21.5, 'sensors': ['a', 'b'], 'ok': True}",
            "201 [1, 2]",
            "the end",
            "True hello from the test server",
            "timeout 110",
        ],
    );
    assert_eq!(
        server.only("/json").header("Host"),
        format!("localhost:{}", server.addr.port())
    );
    assert_eq!(server.only("/echo").body, b"[1, 2]");
}

#[test]
fn https_refuses_a_server_the_cas_do_not_vouch_for() {
    let pki = TestPki::new();
    let no_dir = pki.dir.path().join("no-such-dir");
    let refused = r#"
import ssl
try:
    requests.get(BASE + "/json")
    print("answered")
except ssl.SSLError as e:
    print("SSLError", isinstance(e, OSError))
    print(e)
"#;
    // A CA that signed nothing of the test's is the system's only one; then the right CA,
    // but a certificate for another host.
    let unknown = WebServer::start_tls(&pki.server);
    let wrong_host = WebServer::start_tls(&pki.wrong_host);
    for (server, ca) in [(&unknown, &pki.other_ca), (&wrong_host, &pki.ca)] {
        let done = run(
            server,
            refused,
            &[("SSL_CERT_FILE", ca), ("SSL_CERT_DIR", &no_dir)],
        );
        assert_eq!(
            done.stdout_lines()[0],
            "SSLError True",
            "{}",
            done.describe()
        );
        assert!(
            done.stdout.contains("certificate verify failed"),
            "{}",
            done.describe()
        );
    }
    // Nothing was sent to either.
    assert!(unknown.requests().is_empty(), "{:?}", unknown.log());
    assert!(wrong_host.requests().is_empty(), "{:?}", wrong_host.log());
}

#[test]
fn network_failures_are_oserrors_and_bad_urls_valueerrors() {
    let server = WebServer::start();
    let closed_port = free_port();
    let done = run(
        &server,
        &format!(
            r#"
import time
try:
    requests.get("http://127.0.0.1:{closed_port}/")
except OSError as e:
    print("refused", type(e).__name__, e.args[0], e.errno)
started = time.monotonic()
try:
    requests.get(BASE + "/hang", timeout=0.5)
except OSError as e:
    print("timeout", e.args[0], time.monotonic() - started < 10)
for url in ("ftp://127.0.0.1/file", "127.0.0.1/text", "http://127.0.0.1:port/",
            "http://user:pw@127.0.0.1/"):
    try:
        requests.get(url)
    except ValueError as e:
        print("ValueError", e)
"#
        ),
        &[],
    );
    assert_lines(
        &done,
        &[
            "refused ConnectionRefusedError 111 111",
            "timeout 110 True",
            "ValueError Unsupported protocol: ftp:",
            "ValueError not an http:// or https:// URL: '127.0.0.1/text'",
            "ValueError bad port 'port' in the URL 'http://127.0.0.1:port/'",
            "ValueError a user name and password go in auth=(user, password), not in the URL",
        ],
    );
    assert_eq!(server.log(), ["GET /hang"]);
}

#[test]
fn urequests_is_the_same_module() {
    let server = WebServer::start();
    let done = run(
        &server,
        r#"
import urequests
print(urequests is requests, urequests.get is requests.get)
r = urequests.get(BASE + "/json")
print(r.status_code, r.json()["ok"])
r = urequests.post(BASE + "/echo", data="from urequests")
print(r.text)
"#,
        &[],
    );
    assert_lines(&done, &["True True", "200 True", "from urequests"]);
    assert_eq!(server.only("/echo").body_text(), "from urequests");

    // As on MicroPython, a urequests.py of the script's own wins.
    let dir = TempDir::new("own-urequests");
    dir.write("urequests.py", "OWN = True\n");
    let done = Pymqtt::script(
        &dir,
        "own.py",
        "import urequests\nprint(getattr(urequests, 'OWN', False))\n",
    )
    .run(RUN);
    done.assert_code(0);
    assert_lines(&done, &["True"]);

    // mip knows both are there already, and downloads nothing (the index is unreachable).
    let home = TempDir::new("home");
    let index = format!("http://127.0.0.1:{}/pi/v2", free_port());
    let done = Pymqtt::new()
        .cwd(home.path())
        .env("HOME", home.path())
        .args([
            "-m",
            "mip",
            "install",
            "--index",
            &index,
            "requests",
            "urequests",
        ])
        .run(RUN);
    done.assert_code(0);
    assert_lines(
        &done,
        &[
            "requests: already built in to pymqtt, nothing to install",
            "Done",
            "urequests: already built in to pymqtt, nothing to install",
            "Done",
        ],
    );
}
