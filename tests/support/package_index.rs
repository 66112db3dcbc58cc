//! A package index in mip's format (micropython-lib's `tools/build.py` layout), served over
//! HTTP (or HTTPS, with a certificate of the test's) by a thread of the test process from a
//! temp dir, so that `pymqtt -m mip` can be tested without the internet:
//!
//! ```text
//! package/py/{name}/{version}.json   {"v": 1, "hashes": [[path, short_hash]...], "deps": [...]}
//! file/{short_hash[:2]}/{short_hash} the file's bytes; short_hash = first 8 hex of its sha256
//! ```

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::certs::Issued;
use super::json::json_str;
use super::scripts::TempDir;

/// micropython-lib's hash prefix length.
const SHORT_HASH_LEN: usize = 8;

/// The index server; stops on drop.
pub struct PackageIndex {
    dir: Arc<TempDir>,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
    tls: bool,
}

impl PackageIndex {
    pub fn start() -> PackageIndex {
        Self::start_with(None)
    }

    /// An index served over HTTPS with this certificate (as `TestPki` writes it).
    pub fn start_tls(issued: &Issued) -> PackageIndex {
        Self::start_with(Some(issued.server_config()))
    }

    fn start_with(tls: Option<Arc<rustls::ServerConfig>>) -> PackageIndex {
        let serves_tls = tls.is_some();
        let dir = Arc::new(TempDir::new("index"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the package index");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (dir, stop, requests) =
                (Arc::clone(&dir), Arc::clone(&stop), Arc::clone(&requests));
            thread::Builder::new()
                .name("package-index".into())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                        let (dir, requests) = (Arc::clone(&dir), Arc::clone(&requests));
                        let tls = tls.clone();
                        thread::spawn(move || match tls {
                            None => serve(stream, dir.path(), &requests),
                            Some(config) => {
                                let Ok(session) = rustls::ServerConnection::new(config) else {
                                    return;
                                };
                                let stream = rustls::StreamOwned::new(session, stream);
                                serve(stream, dir.path(), &requests);
                            }
                        });
                    }
                })
                .expect("spawn the package index")
        };
        PackageIndex {
            dir,
            addr,
            stop,
            requests,
            thread: Some(thread),
            tls: serves_tls,
        }
    }

    /// The index URL, for `--index`.
    pub fn url(&self) -> String {
        match self.tls {
            // The name the test's server certificate carries.
            true => format!("https://localhost:{}", self.addr.port()),
            false => format!("http://{}", self.addr),
        }
    }

    /// Publishes `version` of package `name` (also as "latest"): `files` are (path inside the
    /// lib folder, contents), `deps` are (package, version).
    pub fn add(&self, name: &str, version: &str, files: &[(&str, &str)], deps: &[(&str, &str)]) {
        let mut hashes = Vec::new();
        for (path, contents) in files {
            let hash = short_hash(contents.as_bytes());
            self.dir
                .write(&format!("file/{}/{hash}", &hash[..2]), contents);
            hashes.push(format!("[{}, {}]", json_str(path), json_str(&hash)));
        }
        let deps: Vec<String> = deps
            .iter()
            .map(|(dep, v)| format!("[{}, {}]", json_str(dep), json_str(v)))
            .collect();
        let json = format!(
            r#"{{"v": 1, "hashes": [{}], "deps": [{}], "version": {}}}"#,
            hashes.join(", "),
            deps.join(", "),
            json_str(version)
        );
        for v in [version, "latest"] {
            self.dir
                .write(&format!("package/py/{name}/{v}.json"), &json);
        }
    }

    /// The folder served, for tests that damage a file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for PackageIndex {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The first 8 hex digits of the sha256 of `bytes`.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..SHORT_HASH_LEN].to_string()
}

/// Answers one `GET /path` with the file under `root`, or 404.
fn serve(mut stream: impl Read + Write, root: &Path, requests: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(&mut stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // The headers end at an empty line; none of them matter here.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    requests.lock().unwrap().push(path.clone());
    let relative = path.trim_start_matches('/');
    let inside = !relative
        .split('/')
        .any(|part| part == ".." || part.is_empty());
    let body = inside
        .then(|| std::fs::read(root.join(relative)).ok())
        .flatten();
    drop(reader);
    let _ = match body {
        Some(body) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(&body))
        }
        None => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n",
        ),
    };
    let _ = stream.flush();
}
