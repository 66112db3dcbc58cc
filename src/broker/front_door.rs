//! The embedded broker's MQTT listener: it takes each connection, reads its CONNECT, and
//! passes the connection on to rumqttd, which listens on a private loopback port behind it.
//!
//! It exists for what rumqttd does not do and a broker for boards must:
//! - a keepalive of 0 ("no keepalive"), umqtt's default and many MicroPython clients'
//!   (micropython-lib's umqtt.simple, mqtt_async), which rumqttd refuses before its CONNACK:
//!   here the CONNECT goes on with the longest keepalive MQTT can say (65535 s; rumqttd then
//!   waits 1.5 times that, about 27 hours, for a sign of life);
//! - credentials ([`Access`]): a CONNECT they refuse is answered with CONNACK 5 here and
//!   never reaches rumqttd, which accepts anyone;
//! - `pymqtt broker -v`: what each client sends is read packet by packet and described
//!   ([`activity`](super::activity)) on its way through.
//!
//! Everything else is copied unchanged in both directions.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use bytes::BytesMut;
use rumqttc::mqttbytes::{self, check};
use rumqttc::{Connect, Packet};

use super::access::Access;
use super::faults::Faults;
use super::{BrokerLog, PacketWatch, activity};

/// What a CONNECT asking for no keepalive is given instead: MQTT's largest.
const LONGEST_KEEPALIVE: u16 = u16::MAX;

/// A CONNECT larger than this is not read whole before passing it on (its will message may
/// be large); it is passed on as it is, unchecked, to a broker open to anyone.
const CONNECT_READ_LIMIT: usize = 64 * 1024;

/// The largest packet the log reads whole (rumqttd's own limit on payloads).
const PACKET_LIMIT: usize = 256 * 1024 * 1024;

/// How long a new connection may take to send its CONNECT (rumqttd's own wait, as the
/// broker is set up).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a refused client may take to close after its CONNACK.
const REFUSED_LINGER: std::time::Duration = std::time::Duration::from_secs(5);

/// CONNACK, return code 5: not authorized.
const NOT_AUTHORIZED: [u8; 4] = [0x20, 0x02, 0x00, 0x05];

/// Who may come in, and where the log goes.
pub(super) struct Door {
    pub access: Access,
    pub log: Option<BrokerLog>,
    pub watch: Option<PacketWatch>,
    pub faults: Arc<Faults>,
}

/// Accepts connections on `listener` for as long as the process runs, each passed to
/// `broker` on threads of its own.
pub(super) fn serve(listener: TcpListener, broker: SocketAddr, door: Door) -> io::Result<()> {
    let door = Arc::new(door);
    thread::Builder::new()
        .name("pymqtt-broker-door".into())
        .spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if door.faults.is_down() {
                    // A broker that is down: the connection ends before any CONNACK.
                    continue;
                }
                let door = Arc::clone(&door);
                let _ = thread::Builder::new()
                    .name("pymqtt-broker-link".into())
                    .spawn(move || pass_on(client, broker, &door));
            }
        })?;
    Ok(())
}

/// Connects `client` to the broker, if the door lets it in: its first packet with the
/// keepalive made acceptable, then everything both ways until either side closes.
fn pass_on(mut client: TcpStream, broker: SocketAddr, door: &Door) {
    // MQTT packets are small and answered one by one: no Nagle delay on either leg.
    let _ = client.set_nodelay(true);
    // A client that never sends its CONNECT is let go when rumqttd would let it go.
    let _ = client.set_read_timeout(Some(CONNECT_TIMEOUT));
    let Ok(first) = read_first_packet(&mut client) else {
        return;
    };
    let _ = client.set_read_timeout(None);
    let from = client
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let connect = parse_connect(&first);
    let login = connect
        .as_ref()
        .and_then(|c| c.login.as_ref())
        .map(|l| (l.username.as_str(), l.password.as_str()));
    let admitted = match &connect {
        Some(_) => door.access.allows(login),
        // Not a CONNECT this can read: rumqttd judges it, when anyone may come in at all.
        None => door.access.is_open(),
    };
    if !admitted {
        if let (Some(log), Some(connect)) = (&door.log, &connect) {
            log(&activity::refused(connect, from));
        }
        if connect.is_some() {
            let _ = client.write_all(&NOT_AUTHORIZED);
        }
        let _ = client.shutdown(Shutdown::Write);
        // What the client still sends is read and dropped, so that closing sends no reset
        // that could overtake the CONNACK; a client that does not close is let go.
        let _ = client.set_read_timeout(Some(REFUSED_LINGER));
        let _ = io::copy(&mut client, &mut io::sink());
        return;
    }
    if let Some(connect) = &connect {
        door.faults.note_connect(connect);
    }
    let Ok(mut upstream) = TcpStream::connect(broker) else {
        return;
    };
    let _ = upstream.set_nodelay(true);
    // Registered before the CONNECT goes on, and refused if the broker went down meanwhile:
    // a restart then finds every connection that could resume a session, and cuts it.
    let client_id = connect.as_ref().map_or("", |c| c.client_id.as_str());
    let Some(link) = door.faults.register(client_id, &client, &upstream) else {
        return;
    };
    if upstream.write_all(&with_keepalive(first)).is_err() {
        door.faults.unregister(link);
        return;
    }
    if let (Some(log), Some(connect)) = (&door.log, &connect) {
        log(&activity::connected(connect, from));
    }
    let (Ok(client_back), Ok(upstream_back)) = (client.try_clone(), upstream.try_clone()) else {
        door.faults.unregister(link);
        return;
    };
    // A test's broker may hold its acks back; any other copies them as they come.
    let faults = door.watch.is_some().then(|| Arc::clone(&door.faults));
    let answers = thread::Builder::new()
        .name("pymqtt-broker-link".into())
        .spawn(move || match faults {
            Some(faults) => relay_answers(upstream_back, client_back, &faults),
            None => copy_then_close(upstream_back, client_back),
        });
    match connect {
        Some(connect) if door.log.is_some() || door.watch.is_some() => {
            relay_watched(client, upstream, &connect, door);
        }
        _ => copy_then_close(client, upstream),
    }
    if let Ok(answers) = answers {
        let _ = answers.join();
    }
    door.faults.unregister(link);
}

/// [`copy_then_close`] for what the broker sends a client, a packet at a time, its acks
/// held back while the test says so ([`Faults::withhold_acks`]) and then sent in order.
fn relay_answers(mut upstream: TcpStream, mut client: TcpStream, faults: &Faults) {
    // Held acks go out on time even when nothing else comes.
    let _ = upstream.set_read_timeout(Some(ACK_RECHECK));
    let mut pending = BytesMut::new();
    let mut held: Vec<BytesMut> = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let failure = loop {
        if !held.is_empty()
            && !faults.acks_held()
            && let Some(e) = held.drain(..).find_map(|ack| client.write_all(&ack).err())
        {
            break Some(e);
        }
        let n = match upstream.read(&mut chunk) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if is_timeout(&e) => continue,
            Err(e) => break Some(e),
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut failed = None;
        loop {
            let frame = match check(pending.iter(), PACKET_LIMIT) {
                Ok(header) => pending.split_to(header.frame_length()),
                Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                Err(_) => pending.split(),
            };
            if is_ack(frame[0]) && faults.acks_held() {
                held.push(frame);
            } else if let Err(e) = client.write_all(&frame) {
                failed = Some(e);
                break;
            }
        }
        if failed.is_some() {
            break failed;
        }
    };
    end(&upstream, &client, failure.as_ref());
}

/// How often a held ack is looked at while the broker sends nothing.
const ACK_RECHECK: std::time::Duration = std::time::Duration::from_millis(20);

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK: what `withhold acks` holds back.
fn is_ack(first_byte: u8) -> bool {
    matches!(first_byte >> 4, 4 | 5 | 7 | 9 | 11)
}

/// Copies `from` to `to` until `from` ends, then passes the end on: a FIN as a FIN, so that
/// what was in flight is still read, and an error as a closed connection both ways.
fn copy_then_close(mut from: TcpStream, mut to: TcpStream) {
    let copied = io::copy(&mut from, &mut to);
    end(&from, &to, copied.err().as_ref());
}

fn end(from: &TcpStream, to: &TcpStream, error: Option<&io::Error>) {
    if error.is_some() {
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    } else {
        let _ = to.shutdown(Shutdown::Write);
    }
}

/// [`copy_then_close`] for what a client sends, a packet at a time, each shown to the watch
/// and described in the log; and, in the log, how the connection ended.
fn relay_watched(mut client: TcpStream, mut upstream: TcpStream, connect: &Connect, door: &Door) {
    let mut pending = BytesMut::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let mut disconnected = false;
    let failure = loop {
        let n = match client.read(&mut chunk) {
            Ok(0) => break None,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Some(e),
        };
        pending.extend_from_slice(&chunk[..n]);
        loop {
            let frame = match check(pending.iter(), PACKET_LIMIT) {
                Ok(header) => pending.split_to(header.frame_length()),
                Err(mqttbytes::Error::InsufficientBytes(_)) => break,
                // Not MQTT the log can follow: passed on whole, for rumqttd to judge.
                Err(_) => pending.split(),
            };
            if let Ok(packet) = Packet::read(&mut frame.clone(), PACKET_LIMIT) {
                disconnected |= matches!(packet, Packet::Disconnect);
                if let Packet::Publish(publish) = &packet {
                    door.faults.note_publish(publish);
                }
                if let Some(watch) = &door.watch {
                    watch(&connect.client_id, &packet);
                }
                if let Some(log) = &door.log
                    && let Some(line) = activity::received(&connect.client_id, &packet)
                {
                    log(&line);
                }
            }
            if let Err(e) = upstream.write_all(&frame) {
                end(&client, &upstream, Some(&e));
                return;
            }
        }
    };
    if let Some(log) = &door.log
        && !disconnected
    {
        log(&activity::lost(
            &connect.client_id,
            connect.last_will.as_ref(),
            failure.as_ref(),
        ));
    }
    end(&client, &upstream, failure.as_ref());
}

/// The CONNECT in `first`, if it is one this can read.
fn parse_connect(first: &[u8]) -> Option<Connect> {
    match Packet::read(&mut BytesMut::from(first), PACKET_LIMIT) {
        Ok(Packet::Connect(connect)) => Some(connect),
        _ => None,
    }
}

/// The first packet's bytes: the fixed header and, up to [`CONNECT_READ_LIMIT`], its body.
fn read_first_packet(client: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut packet = vec![0u8; 1];
    client.read_exact(&mut packet)?;
    let mut remaining = 0usize;
    for shift in [0, 7, 14, 21] {
        let mut byte = [0u8; 1];
        client.read_exact(&mut byte)?;
        packet.push(byte[0]);
        remaining |= usize::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    let header = packet.len();
    let body = remaining.min(CONNECT_READ_LIMIT);
    packet.resize(header + body, 0);
    client.read_exact(&mut packet[header..])?;
    Ok(packet)
}

/// `packet` with its keepalive set to [`LONGEST_KEEPALIVE`] if it is a CONNECT asking for
/// none; anything else (not a CONNECT, too short to be one) unchanged, for rumqttd to judge.
fn with_keepalive(mut packet: Vec<u8>) -> Vec<u8> {
    if let Some(at) = keepalive_offset(&packet)
        && packet[at..at + 2] == [0, 0]
    {
        packet[at..at + 2].copy_from_slice(&LONGEST_KEEPALIVE.to_be_bytes());
    }
    packet
}

/// Where a CONNECT's keepalive is: after the fixed header, the protocol name (a 2-byte
/// length and the name), the protocol level and the flags. The same in MQTT 3.1, 3.1.1, 5.
fn keepalive_offset(packet: &[u8]) -> Option<usize> {
    if packet.first()? >> 4 != 1 {
        return None;
    }
    let header = 1 + packet[1..].iter().take(4).position(|b| b & 0x80 == 0)? + 1;
    let name_len = usize::from(u16::from_be_bytes([
        *packet.get(header)?,
        *packet.get(header + 1)?,
    ]));
    let at = header + 2 + name_len + 2;
    (packet.len() >= at + 2).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CONNECT for MQTT 3.1.1: name "MQTT", level 4, clean session, `keepalive`, client "c".
    fn connect(keepalive: u16) -> Vec<u8> {
        let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02];
        body.extend_from_slice(&keepalive.to_be_bytes());
        body.extend_from_slice(&[0, 1, b'c']);
        let mut packet = vec![0x10, body.len() as u8];
        packet.extend(body);
        packet
    }

    #[test]
    fn no_keepalive_becomes_the_longest_and_the_rest_is_unchanged() {
        let patched = with_keepalive(connect(0));
        assert_eq!(patched, connect(u16::MAX));
    }

    #[test]
    fn a_keepalive_given_is_kept() {
        assert_eq!(with_keepalive(connect(60)), connect(60));
    }

    #[test]
    fn what_is_not_a_whole_connect_passes_unchanged() {
        let publish = vec![0x30, 0x03, 0x00, 0x01, b't'];
        assert_eq!(with_keepalive(publish.clone()), publish);
        let short = connect(0)[..9].to_vec();
        assert_eq!(with_keepalive(short.clone()), short);
        assert_eq!(with_keepalive(vec![0x10]), vec![0x10]);
    }

    #[test]
    fn the_offset_follows_a_multi_byte_length_and_mqtt_3_1s_longer_name() {
        let mut body = vec![0, 6, b'M', b'Q', b'I', b's', b'd', b'p', 3, 0x02, 0, 0];
        body.extend(std::iter::repeat_n(b'x', 200));
        let mut packet = vec![
            0x10,
            0x80 | (body.len() as u8 & 0x7f),
            (body.len() >> 7) as u8,
        ];
        packet.extend(body);
        assert_eq!(keepalive_offset(&packet), Some(3 + 2 + 6 + 2));
        assert_eq!(with_keepalive(packet)[13..15], [0xff, 0xff]);
    }
}
