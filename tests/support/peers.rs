//! The independent client on the other side of the wire: rumqttc's sync API, its event loop
//! on a thread, so that what pymqtt sends and receives is checked by code that is not
//! pymqtt's.

use std::collections::VecDeque;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use super::deadlines::WAIT;

/// What the independent client saw from the broker.
#[derive(Debug, Clone)]
pub enum Incoming {
    ConnAck(rumqttc::ConnAck),
    Publish(rumqttc::Publish),
    SubAck(rumqttc::SubAck),
    UnsubAck,
    PubAck(u16),
    PubComp(u16),
    Other(String),
    Error(String),
}

/// An independent MQTT 3.1.1 client (rumqttc's sync API; its event loop runs on a thread).
pub struct Peer {
    client: Client,
    rx: Receiver<Incoming>,
    pending: VecDeque<Incoming>,
    pub id: String,
}

impl Peer {
    /// Connects with a clean session to 127.0.0.1:`port`; fails the test on refusal.
    pub fn connect(port: u16, id: &str) -> Peer {
        let mut o = MqttOptions::new(id, "127.0.0.1", port);
        o.set_keep_alive(Duration::from_secs(30));
        let (p, ack) = Peer::connect_with(o);
        assert_eq!(
            ack.code,
            rumqttc::ConnectReturnCode::Success,
            "independent client {id} refused by broker on port {port}"
        );
        p
    }

    /// Connects with the given options and returns the CONNACK (whatever its code).
    pub fn connect_with(mut o: MqttOptions) -> (Peer, rumqttc::ConnAck) {
        o.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
        let id = o.client_id();
        let (client, mut connection) = Client::new(o, 1000);
        let (tx, rx) = mpsc::channel();
        thread::Builder::new()
            .name(format!("peer-{id}"))
            .spawn(move || {
                for ev in connection.iter() {
                    let msg = match ev {
                        Ok(Event::Incoming(p)) => match p {
                            Packet::ConnAck(a) => Incoming::ConnAck(a),
                            Packet::Publish(p) => Incoming::Publish(p),
                            Packet::SubAck(a) => Incoming::SubAck(a),
                            Packet::UnsubAck(_) => Incoming::UnsubAck,
                            Packet::PubAck(a) => Incoming::PubAck(a.pkid),
                            Packet::PubComp(a) => Incoming::PubComp(a.pkid),
                            Packet::PingResp => continue,
                            other => Incoming::Other(format!("{other:?}")),
                        },
                        Ok(Event::Outgoing(_)) => continue,
                        Err(e) => {
                            let _ = tx.send(Incoming::Error(e.to_string()));
                            break; // no reconnect loops in tests
                        }
                    };
                    if tx.send(msg).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn peer thread");
        let mut peer = Peer {
            client,
            rx,
            pending: VecDeque::new(),
            id: id.clone(),
        };
        let ack = match peer.next_where(WAIT, |i| {
            matches!(i, Incoming::ConnAck(_) | Incoming::Error(_))
        }) {
            Some(Incoming::ConnAck(a)) => a,
            Some(Incoming::Error(e)) => panic!("independent client {id}: connection error: {e}"),
            _ => panic!("independent client {id}: no CONNACK within {WAIT:?}"),
        };
        (peer, ack)
    }

    /// The next event matching `pred` within `timeout`; others are kept for later calls.
    pub fn next_where(
        &mut self,
        timeout: Duration,
        pred: impl Fn(&Incoming) -> bool,
    ) -> Option<Incoming> {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ev) => {
                    if pred(&ev) {
                        return Some(ev);
                    }
                    self.pending.push_back(ev);
                }
                Err(_) => return None,
            }
        }
    }

    /// Subscribes and waits for the SUBACK; returns its return codes.
    pub fn subscribe(&mut self, topic: &str, qos: QoS) -> Vec<rumqttc::SubscribeReasonCode> {
        self.client
            .subscribe(topic, qos)
            .expect("peer subscribe request");
        match self.next_where(WAIT, |i| {
            matches!(i, Incoming::SubAck(_) | Incoming::Error(_))
        }) {
            Some(Incoming::SubAck(a)) => {
                for c in &a.return_codes {
                    assert!(
                        !matches!(c, rumqttc::SubscribeReasonCode::Failure),
                        "peer subscription to {topic:?} refused"
                    );
                }
                a.return_codes
            }
            other => panic!("peer {}: no SUBACK for {topic:?}: {other:?}", self.id),
        }
    }

    /// Publishes; for QoS 1/2 waits until the broker's PUBACK/PUBCOMP arrives.
    pub fn publish(&mut self, topic: &str, payload: impl Into<Vec<u8>>, qos: QoS, retain: bool) {
        self.client
            .publish(topic, qos, retain, payload)
            .expect("peer publish request");
        let want: fn(&Incoming) -> bool = match qos {
            QoS::AtMostOnce => return,
            QoS::AtLeastOnce => {
                |i: &Incoming| matches!(i, Incoming::PubAck(_) | Incoming::Error(_))
            }
            QoS::ExactlyOnce => {
                |i: &Incoming| matches!(i, Incoming::PubComp(_) | Incoming::Error(_))
            }
        };
        match self.next_where(WAIT, want) {
            Some(Incoming::Error(e)) => panic!("peer {}: error while publishing: {e}", self.id),
            Some(_) => {}
            None => panic!("peer {}: no ack for publish to {topic:?}", self.id),
        }
    }

    /// The next PUBLISH within `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Option<rumqttc::Publish> {
        match self.next_where(timeout, |i| matches!(i, Incoming::Publish(_))) {
            Some(Incoming::Publish(p)) => Some(p),
            _ => None,
        }
    }

    /// The next PUBLISH or fail the test.
    pub fn expect_publish(&mut self, what: &str) -> rumqttc::Publish {
        self.recv(WAIT)
            .unwrap_or_else(|| panic!("peer {}: no PUBLISH ({what}) within {WAIT:?}", self.id))
    }

    /// Collects PUBLISHes until `n` arrived or `timeout` passed.
    pub fn collect(&mut self, n: usize, timeout: Duration) -> Vec<rumqttc::Publish> {
        let deadline = Instant::now() + timeout;
        let mut v = Vec::new();
        while v.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left) {
                Some(p) => v.push(p),
                None => break,
            }
        }
        if v.len() < n {
            // Say why, for the failing assertion's output: a lost connection shows here.
            eprintln!(
                "peer {}: {} of {n} PUBLISHes; other events: {:?}",
                self.id,
                v.len(),
                self.pending
            );
        }
        v
    }

    pub fn disconnect(self) {
        let _ = self.client.disconnect();
    }
}

/// Publish payload as text (lossy), for messages.
pub fn text(p: &rumqttc::Publish) -> String {
    String::from_utf8_lossy(&p.payload).into_owned()
}
