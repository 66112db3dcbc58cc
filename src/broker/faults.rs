//! Faults a test puts on the embedded broker, as a real one shows them to a board: it
//! restarts (connections cut, sessions and retained messages gone), is down for a while
//! (connections cut, new ones closed at once), drops the connections (as a NAT timeout
//! would), or holds back its acks. `pymqtt test`'s `.wire` lines `broker restart`, `broker
//! down 3s`, `drop` and `withhold acks 2s` come here.
//!
//! The front door ([`super::front_door`]) is what makes them possible: every client's
//! connection passes through it, so it can cut them, refuse new ones and delay what goes
//! back. rumqttd itself cannot be stopped; a restart clears what a restarted broker without
//! persistence forgets, by hand: each persistent session (a clean CONNECT under the same
//! client id) and each retained message (an empty retained PUBLISH).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::{Connect, Publish, QoS};

/// The state of the broker's faults, shared by the front door's threads and the test.
///
/// ```
/// use std::time::Duration;
/// use pymqtt::broker::EmbeddedBroker;
///
/// let broker = EmbeddedBroker::start_on_free_port().unwrap();
/// let faults = broker.faults();
/// faults.down(Duration::from_millis(100), "");
/// faults.withhold_acks(Duration::from_millis(100));
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    links: Mutex<Vec<Link>>,
    next_link: Mutex<u64>,
    /// New connections are closed at once until then.
    down_until: Mutex<Option<Instant>>,
    /// Acks going to clients wait until then.
    acks_held_until: Mutex<Option<Instant>>,
    /// Client ids that asked for a persistent session, whose session a restart forgets.
    persistent: Mutex<BTreeSet<String>>,
    /// Topics with a retained message, which a restart forgets.
    retained: Mutex<BTreeSet<String>>,
}

/// A client's connection through the door: its socket and the one to rumqttd.
#[derive(Debug)]
struct Link {
    id: u64,
    client_id: String,
    client: TcpStream,
    upstream: TcpStream,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Faults {
    /// Remembers a connection about to be passed on, so a fault can cut it; the id
    /// unregisters it. None while the broker is down: the connection is not to be made.
    pub(super) fn register(
        &self,
        client_id: &str,
        client: &TcpStream,
        upstream: &TcpStream,
    ) -> Option<u64> {
        let (client, upstream) = (client.try_clone().ok()?, upstream.try_clone().ok()?);
        let id = {
            let mut next = lock(&self.next_link);
            *next += 1;
            *next
        };
        // Under the links' lock, which a fault holds while it sets `down_until` and cuts.
        let mut links = lock(&self.links);
        if self.is_down() {
            return None;
        }
        links.push(Link {
            id,
            client_id: client_id.to_string(),
            client,
            upstream,
        });
        Some(id)
    }

    pub(super) fn unregister(&self, id: u64) {
        lock(&self.links).retain(|link| link.id != id);
    }

    /// Whether new connections are refused now.
    pub(super) fn is_down(&self) -> bool {
        lock(&self.down_until).is_some_and(|until| Instant::now() < until)
    }

    /// Whether acks to clients are held back now.
    pub(super) fn acks_held(&self) -> bool {
        lock(&self.acks_held_until).is_some_and(|until| Instant::now() < until)
    }

    /// Takes note of what a restart must forget that this CONNECT asks the broker to keep.
    pub(super) fn note_connect(&self, connect: &Connect) {
        if !connect.clean_session && !connect.client_id.is_empty() {
            lock(&self.persistent).insert(connect.client_id.clone());
        }
        if let Some(will) = connect.last_will.as_ref().filter(|w| w.retain) {
            lock(&self.retained).insert(will.topic.clone());
        }
    }

    /// Takes note of a retained message (or its clearing) a client published.
    pub(super) fn note_publish(&self, publish: &Publish) {
        if publish.retain {
            let mut retained = lock(&self.retained);
            if publish.payload.is_empty() {
                retained.remove(&publish.topic);
            } else {
                retained.insert(publish.topic.clone());
            }
        }
    }

    /// Cuts every client's connection but `keep`'s (the test's own client), as a broker
    /// that closes them: the clients see their connection end, the broker publishes wills.
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.faults().drop_clients("harness"); // every client but "harness" is cut
    /// ```
    pub fn drop_clients(&self, keep: &str) {
        cut(&lock(&self.links), keep);
    }

    /// Sets when the broker is back and cuts the connections, at once for connections being
    /// made (see [`Faults::register`]).
    fn go_down(&self, until: Instant, keep: &str) {
        let links = lock(&self.links);
        *lock(&self.down_until) = Some(until);
        cut(&links, keep);
    }

    /// The broker goes away for `duration`: connections cut, new ones closed at once.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.faults().down(Duration::from_secs(1), ""); // a second without a broker
    /// ```
    pub fn down(&self, duration: Duration, keep: &str) {
        self.go_down(Instant::now() + duration, keep);
    }

    /// The broker restarts without persistence: connections cut, then every persistent
    /// session and retained message it had forgotten, then it takes connections again.
    /// `broker` is rumqttd's private address; `keep` as for [`Faults::drop_clients`].
    ///
    /// ```
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.restart(""); // EmbeddedBroker::restart passes its private address here
    /// ```
    pub fn restart(&self, broker: SocketAddr, keep: &str) {
        self.go_down(Instant::now() + Duration::from_secs(3600), keep);
        let sessions = std::mem::take(&mut *lock(&self.persistent));
        for client_id in sessions {
            let _ = forget_session(broker, &client_id);
        }
        let topics = std::mem::take(&mut *lock(&self.retained));
        if !topics.is_empty() {
            let _ = forget_retained(broker, &topics);
        }
        *lock(&self.down_until) = None;
    }

    /// Acks to clients (PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK) wait for `duration`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::broker::EmbeddedBroker;
    ///
    /// let broker = EmbeddedBroker::start_on_free_port().unwrap();
    /// broker.faults().withhold_acks(Duration::from_millis(500));
    /// ```
    pub fn withhold_acks(&self, duration: Duration) {
        *lock(&self.acks_held_until) = Some(Instant::now() + duration);
    }
}

fn cut(links: &[Link], keep: &str) {
    for link in links.iter().filter(|l| l.client_id != keep) {
        let _ = link.client.shutdown(Shutdown::Both);
        let _ = link.upstream.shutdown(Shutdown::Both);
    }
}

/// Connects to rumqttd with a clean session as `client_id` (which discards the stored one),
/// then leaves.
fn forget_session(broker: SocketAddr, client_id: &str) -> std::io::Result<()> {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 60;
    connect.clean_session = true;
    let mut stream = connected(broker, &connect)?;
    stream.write_all(&[0xe0, 0x00])
}

/// Publishes an empty retained message to each topic (which clears it), then leaves.
fn forget_retained(broker: SocketAddr, topics: &BTreeSet<String>) -> std::io::Result<()> {
    let mut connect = Connect::new("pymqtt-broker-restart");
    connect.keep_alive = 60;
    let mut stream = connected(broker, &connect)?;
    let mut out = BytesMut::new();
    for topic in topics {
        let mut clear = Publish::new(topic, QoS::AtMostOnce, Vec::<u8>::new());
        clear.retain = true;
        clear
            .write(&mut out)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    out.extend_from_slice(&[0xe0, 0x00]);
    stream.write_all(&out)?;
    // rumqttd closes once it read the DISCONNECT, and so every clearing before it.
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    Ok(())
}

/// A connection to `broker` whose CONNECT was accepted.
fn connected(broker: SocketAddr, connect: &Connect) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(broker)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut packet = BytesMut::new();
    connect
        .write(&mut packet)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    stream.write_all(&packet)?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack)?;
    if connack[0] != 0x20 || connack[3] != 0 {
        return Err(std::io::Error::other("the broker refused the CONNECT"));
    }
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::LastWill;

    #[test]
    fn what_a_restart_forgets_is_noted_from_connects_and_publishes() {
        let faults = Faults::default();
        let mut keep = Connect::new("keeper");
        keep.clean_session = false;
        keep.last_will = Some(LastWill::new(
            "status/keeper",
            "gone",
            QoS::AtMostOnce,
            true,
        ));
        faults.note_connect(&keep);
        faults.note_connect(&Connect::new("clean"));
        let mut retained = Publish::new("lamp/state", QoS::AtMostOnce, "on");
        retained.retain = true;
        faults.note_publish(&retained);
        faults.note_publish(&Publish::new("not/retained", QoS::AtMostOnce, "x"));
        let mut cleared = Publish::new("old/state", QoS::AtMostOnce, "x");
        cleared.retain = true;
        faults.note_publish(&cleared);
        cleared.payload = bytes::Bytes::new();
        faults.note_publish(&cleared);
        assert_eq!(
            *lock(&faults.persistent),
            BTreeSet::from(["keeper".to_string()])
        );
        assert_eq!(
            *lock(&faults.retained),
            BTreeSet::from(["lamp/state".to_string(), "status/keeper".to_string()])
        );
    }

    #[test]
    fn down_and_withheld_acks_last_their_time() {
        let faults = Faults::default();
        assert!(!faults.is_down() && !faults.acks_held());
        faults.down(Duration::from_secs(60), "nobody");
        faults.withhold_acks(Duration::from_secs(60));
        assert!(faults.is_down() && faults.acks_held());
        faults.down(Duration::ZERO, "nobody");
        faults.withhold_acks(Duration::ZERO);
        assert!(!faults.is_down() && !faults.acks_held());
    }
}
