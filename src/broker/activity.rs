//! What `pymqtt broker -v` says: a line for each connect (client id, address, keepalive),
//! refusal, subscribe, unsubscribe, publish (topic, QoS, size), disconnect and connection
//! lost (with the will that then goes out), as `mosquitto -v` does. Pure: the front door
//! hands it the packets it saw and sends the lines to the broker's log.

use std::net::SocketAddr;

use rumqttc::{Connect, LastWill, Packet, QoS};

fn qos(q: QoS) -> u8 {
    q as u8
}

/// `New client connected from 127.0.0.1:40222 as board-1 (keepalive 60 s, clean session).`
pub fn connected(connect: &Connect, from: SocketAddr) -> String {
    let mut details = vec![match connect.keep_alive {
        0 => "no keepalive".to_string(),
        k => format!("keepalive {k} s"),
    }];
    details.push(if connect.clean_session {
        "clean session".into()
    } else {
        "persistent session".into()
    });
    if let Some(login) = &connect.login {
        details.push(format!("user {:?}", login.username));
    }
    if let Some(will) = &connect.last_will {
        details.push(format!("will to {}", will.topic));
    }
    format!(
        "New client connected from {from} as {} ({}).",
        client_name(&connect.client_id),
        details.join(", ")
    )
}

/// `Refused client board-1 from 127.0.0.1:40222: not authorized (user "bob").`
pub fn refused(connect: &Connect, from: SocketAddr) -> String {
    let who = match &connect.login {
        Some(login) => format!("user {:?}, wrong or unknown", login.username),
        None => "no user name".into(),
    };
    format!(
        "Refused client {} from {from}: not authorized ({who}); sent CONNACK 5.",
        client_name(&connect.client_id)
    )
}

/// The line for a packet a connected client sent, if it gets one (acks and pings do not).
pub fn received(client: &str, packet: &Packet) -> Option<String> {
    let client = client_name(client);
    match packet {
        Packet::Publish(p) => Some(format!(
            "Received PUBLISH from {client} ({:?}, QoS {}, {} bytes{}).",
            p.topic,
            qos(p.qos),
            p.payload.len(),
            if p.retain { ", retained" } else { "" }
        )),
        Packet::Subscribe(s) => Some(format!(
            "Received SUBSCRIBE from {client}: {}.",
            s.filters
                .iter()
                .map(|f| format!("{} (QoS {})", f.path, qos(f.qos)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Packet::Unsubscribe(u) => Some(format!(
            "Received UNSUBSCRIBE from {client}: {}.",
            u.topics.join(", ")
        )),
        Packet::Disconnect => Some(format!("Client {client} disconnected.")),
        _ => None,
    }
}

/// The line for a connection that ended without DISCONNECT: the broker then publishes the
/// client's will, if it has one. `why` is the socket's error, if it ended on one.
pub fn lost(client: &str, will: Option<&LastWill>, why: Option<&std::io::Error>) -> String {
    let client = client_name(client);
    let how = match why {
        Some(e) => format!(
            "Connection of {client} lost ({})",
            crate::mqtt::error::io_detail(e)
        ),
        None => format!("Client {client} closed its connection"),
    };
    match will {
        Some(will) => format!(
            "{how}; sending its will to {} (QoS {}, {} bytes{}).",
            will.topic,
            qos(will.qos),
            will.message.len(),
            if will.retain { ", retained" } else { "" }
        ),
        None => format!("{how}."),
    }
}

/// A client id as the log shows it: an empty one (the broker picks one) is named so.
fn client_name(id: &str) -> &str {
    if id.is_empty() { "(no client id)" } else { id }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::{Login, Publish, Subscribe, SubscribeFilter};

    fn connect() -> Connect {
        let mut c = Connect::new("board-1");
        c.keep_alive = 60;
        c
    }

    fn from() -> SocketAddr {
        "127.0.0.1:40222".parse().unwrap()
    }

    #[test]
    fn connects_name_the_client_address_keepalive_user_and_will() {
        assert_eq!(
            connected(&connect(), from()),
            "New client connected from 127.0.0.1:40222 as board-1 (keepalive 60 s, clean session)."
        );
        let mut c = connect();
        c.keep_alive = 0;
        c.clean_session = false;
        c.login = Some(Login::new("alice", "pw"));
        c.last_will = Some(LastWill::new(
            "status/board-1",
            "offline",
            QoS::AtLeastOnce,
            true,
        ));
        assert_eq!(
            connected(&c, from()),
            "New client connected from 127.0.0.1:40222 as board-1 (no keepalive, persistent \
             session, user \"alice\", will to status/board-1)."
        );
        assert_eq!(
            refused(&c, from()),
            "Refused client board-1 from 127.0.0.1:40222: not authorized (user \"alice\", \
             wrong or unknown); sent CONNACK 5."
        );
    }

    #[test]
    fn publishes_subscribes_and_ends_get_a_line_and_pings_do_not() {
        let mut p = Publish::new("sensors/t", QoS::AtLeastOnce, "21.5");
        p.retain = true;
        assert_eq!(
            received("b", &Packet::Publish(p)).unwrap(),
            "Received PUBLISH from b (\"sensors/t\", QoS 1, 4 bytes, retained)."
        );
        let s = Subscribe::new_many([
            SubscribeFilter::new("a/#".into(), QoS::AtMostOnce),
            SubscribeFilter::new("c/+".into(), QoS::ExactlyOnce),
        ]);
        assert_eq!(
            received("b", &Packet::Subscribe(s)).unwrap(),
            "Received SUBSCRIBE from b: a/# (QoS 0), c/+ (QoS 2)."
        );
        assert_eq!(
            received("", &Packet::Disconnect).unwrap(),
            "Client (no client id) disconnected."
        );
        assert_eq!(received("b", &Packet::PingReq), None);
        let will = LastWill::new("status/b", "gone", QoS::AtMostOnce, false);
        assert_eq!(
            lost("b", Some(&will), None),
            "Client b closed its connection; sending its will to status/b (QoS 0, 4 bytes)."
        );
    }
}
