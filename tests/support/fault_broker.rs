//! A server that is not a good MQTT broker: a TCP listener on a free loopback port that runs a
//! test's closure on each connection it accepts, so that the test can answer CONNECT with what
//! a broken broker, or a server of another protocol, would send.

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::deadlines::WAIT;

/// The listener; it stops accepting when dropped.
pub struct FaultBroker {
    port: u16,
    stopped: Arc<AtomicBool>,
}

impl FaultBroker {
    /// Listens on 127.0.0.1 at a free port and runs `serve` on each accepted connection, each
    /// on its own thread.
    pub fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> FaultBroker {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let stopped = Arc::new(AtomicBool::new(false));
        let serve = Arc::new(serve);
        {
            let stopped = Arc::clone(&stopped);
            thread::Builder::new()
                .name(format!("fault-broker-{port}"))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stopped.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let serve = Arc::clone(&serve);
                        thread::spawn(move || serve(stream));
                    }
                })
                .expect("spawn fault broker");
        }
        FaultBroker { port, stopped }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for FaultBroker {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the blocked accept, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Reads one whole MQTT packet (the client's CONNECT, say) and returns its bytes, fixed
/// header included; fails after [`WAIT`] or when the stream ends first.
pub fn read_packet(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(WAIT))?;
    let mut packet = vec![0u8; 1];
    stream.read_exact(&mut packet)?;
    // The remaining length: 7 bits a byte, the high bit saying another follows.
    let mut remaining = 0usize;
    for shift in (0..4).map(|i| 7 * i) {
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte)?;
        packet.push(byte[0]);
        remaining |= usize::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    let start = packet.len();
    packet.resize(start + remaining, 0);
    stream.read_exact(&mut packet[start..])?;
    Ok(packet)
}

/// Keeps the connection open, saying nothing, until the client closes it (or [`WAIT`] passes
/// twice: no test waits that long for a client).
pub fn stay_silent(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(WAIT * 2));
    let mut sink = [0u8; 256];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}
