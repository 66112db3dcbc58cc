//! What the script is waiting for, kept apart from the I/O that produces it.
//!
//! rumqttc assigns packet ids inside its event loop and reports them as `Outgoing` events, in
//! the order the requests were taken. The tracker hands each request a [`Ticket`] when it is
//! queued, pairs tickets with packet ids as the `Outgoing` events arrive, and records the
//! outcome when the matching ack comes back. It holds received messages until the script asks
//! ([`Inbox`]).

use std::collections::{HashMap, VecDeque};

use rumqttc::{Event, Incoming, Outgoing, Publish, SubscribeReasonCode};

/// Identifies one queued request until its outcome is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(u64);

/// The kinds of request whose completion a caller can wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A PUBLISH.
    Publish,
    /// A SUBSCRIBE.
    Subscribe,
    /// An UNSUBSCRIBE.
    Unsubscribe,
}

/// The result of a request the broker answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written to the socket (QoS 0) or acknowledged (PUBACK, PUBCOMP, UNSUBACK).
    Done,
    /// The broker's SUBACK return codes.
    Subscribed(Vec<SubscribeReasonCode>),
}

pub use super::inbox::Message;
use super::inbox::{Inbox, InboxLimit};

fn message_of(p: Publish) -> Message {
    Message {
        topic: p.topic,
        payload: p.payload,
        qos: p.qos as u8,
        retain: p.retain,
        dup: p.dup,
        pkid: p.pkid,
        dropped_before: 0,
    }
}

/// A connection's requests in flight, their outcomes, and the messages received: what the
/// event loop's events add up to.
#[derive(Debug, Default)]
pub struct Tracker {
    next_ticket: u64,
    /// Per kind, queued requests not yet written, in queue order; `bool` = an ack will follow.
    unsent: HashMap<Kind, VecDeque<(Ticket, bool)>>,
    /// Written requests waiting for their ack, by kind and packet id.
    unacked: HashMap<(Kind, u16), Ticket>,
    outcomes: HashMap<Ticket, Outcome>,
    inbox: Inbox,
    /// `Some(session_present)` once the CONNACK arrived.
    connack: Option<bool>,
    pings_answered: u64,
    disconnect_sent: bool,
    /// Acks of handled messages queued and not yet written.
    acks_unsent: usize,
    /// Received QoS 2 messages acknowledged (PUBREC) whose PUBCOMP is not written yet. A
    /// session resumed with one open gets the broker's PUBREL again, which rumqttc (knowing
    /// nothing of the earlier connection) takes for a protocol error: so the program's end
    /// waits for these to close.
    qos2_open: std::collections::HashSet<u16>,
    /// Packets the broker answers with nothing (acks of received messages, QoS 0 publishes)
    /// written since the last PINGREQ queued to confirm them: whether the broker has read
    /// them is known only once a later packet of ours is answered.
    unconfirmed_writes: bool,
}

impl Tracker {
    /// A tracker whose inbox holds at most `limit` (see [`Inbox`]).
    pub fn new(limit: InboxLimit) -> Tracker {
        Tracker {
            inbox: Inbox::new(limit),
            ..Tracker::default()
        }
    }

    /// Registers a request about to be queued. `acked` says whether the broker will answer it.
    pub fn expect(&mut self, kind: Kind, acked: bool) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.unsent
            .entry(kind)
            .or_default()
            .push_back((ticket, acked));
        ticket
    }

    /// Takes the outcome of `ticket` once it is known.
    pub fn take_outcome(&mut self, ticket: Ticket) -> Option<Outcome> {
        self.outcomes.remove(&ticket)
    }

    /// True when every queued publish has been written and acknowledged, and every ack of a
    /// handled message written: nothing would be lost (or sent again) by closing now.
    pub fn settled(&self) -> bool {
        self.unsettled() == 0
    }

    /// Publishes queued and not yet settled (written, or acknowledged for QoS 1 and 2), acks
    /// of handled messages not yet written, and QoS 2 handshakes of received messages open.
    pub fn unsettled(&self) -> usize {
        self.unsent.get(&Kind::Publish).map_or(0, VecDeque::len)
            + self
                .unacked
                .keys()
                .filter(|(kind, _)| *kind == Kind::Publish)
                .count()
            + self.acks_unsent
            + self.qos2_open.len()
    }

    /// An ack of a handled message was queued; for QoS 2 that opens a handshake which ends
    /// when our PUBCOMP (the answer to the broker's PUBREL) is written.
    pub fn ack_queued(&mut self, qos: u8, pkid: u16) {
        self.acks_unsent += 1;
        if qos == 2 {
            self.qos2_open.insert(pkid);
        }
    }

    /// Acks queued and not yet written.
    pub fn acks_unsent(&self) -> usize {
        self.acks_unsent
    }

    /// True when something was written that the broker gives no answer to, and no PINGREQ
    /// was queued after it.
    pub fn unconfirmed_writes(&self) -> bool {
        self.unconfirmed_writes
    }

    /// A PINGREQ is queued after everything written so far: its PINGRESP confirms them.
    pub fn confirming(&mut self) {
        self.unconfirmed_writes = false;
    }

    /// Takes the oldest received message.
    pub fn pop_message(&mut self) -> Option<Message> {
        self.inbox.pop()
    }

    /// True when a received message waits for the script.
    pub fn has_message(&self) -> bool {
        !self.inbox.is_empty()
    }

    /// True when the connection should stop reading until the script takes messages.
    pub fn inbox_full(&self) -> bool {
        self.inbox.is_full()
    }

    /// Whether the broker resumed a stored session, once the CONNACK has come.
    pub fn connack(&self) -> Option<bool> {
        self.connack
    }

    /// PINGRESPs received so far: a wait for one compares the count before and after.
    pub fn pings_answered(&self) -> u64 {
        self.pings_answered
    }

    /// True once the DISCONNECT is written.
    pub fn disconnect_sent(&self) -> bool {
        self.disconnect_sent
    }

    /// Folds one event from the event loop into the state.
    pub fn record(&mut self, event: Event) {
        match event {
            Event::Incoming(incoming) => self.record_incoming(incoming),
            Event::Outgoing(outgoing) => self.record_outgoing(outgoing),
        }
    }

    fn record_incoming(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Publish(p) => self.inbox.push(message_of(p)),
            Incoming::PubAck(ack) => self.acked(Kind::Publish, ack.pkid, Outcome::Done),
            Incoming::PubComp(comp) => self.acked(Kind::Publish, comp.pkid, Outcome::Done),
            Incoming::SubAck(ack) => self.acked(
                Kind::Subscribe,
                ack.pkid,
                Outcome::Subscribed(ack.return_codes),
            ),
            Incoming::UnsubAck(ack) => self.acked(Kind::Unsubscribe, ack.pkid, Outcome::Done),
            Incoming::PingResp => self.pings_answered += 1,
            Incoming::ConnAck(ack) => self.connack = Some(ack.session_present),
            _ => {}
        }
    }

    fn record_outgoing(&mut self, outgoing: Outgoing) {
        match outgoing {
            Outgoing::Publish(pkid) => {
                // Packet id 0: a QoS 0 publish, which nothing answers.
                self.unconfirmed_writes |= pkid == 0;
                self.sent(Kind::Publish, pkid)
            }
            Outgoing::Subscribe(pkid) => self.sent(Kind::Subscribe, pkid),
            Outgoing::Unsubscribe(pkid) => self.sent(Kind::Unsubscribe, pkid),
            Outgoing::Disconnect => self.disconnect_sent = true,
            Outgoing::PubAck(_) | Outgoing::PubRec(_) => {
                self.acks_unsent = self.acks_unsent.saturating_sub(1);
                // A PUBREC is answered (PUBREL), but the PUBCOMP that closes it is not.
                self.unconfirmed_writes = true;
            }
            Outgoing::PubComp(pkid) => {
                self.qos2_open.remove(&pkid);
                self.unconfirmed_writes = true;
            }
            _ => {}
        }
    }

    fn sent(&mut self, kind: Kind, pkid: u16) {
        let Some((ticket, acked)) = self.unsent.get_mut(&kind).and_then(VecDeque::pop_front) else {
            // A retransmission from a resumed session: nobody in this run waits for it.
            return;
        };
        if acked {
            self.unacked.insert((kind, pkid), ticket);
        } else {
            self.outcomes.insert(ticket, Outcome::Done);
        }
    }

    fn acked(&mut self, kind: Kind, pkid: u16, outcome: Outcome) {
        if let Some(ticket) = self.unacked.remove(&(kind, pkid)) {
            self.outcomes.insert(ticket, outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rumqttc::{PubAck, QoS, SubAck};

    #[test]
    fn qos0_publish_is_done_once_written() {
        let mut t = Tracker::default();
        let ticket = t.expect(Kind::Publish, false);
        assert!(!t.settled());
        t.record(Event::Outgoing(Outgoing::Publish(0)));
        assert_eq!(t.take_outcome(ticket), Some(Outcome::Done));
        assert!(t.settled());
    }

    #[test]
    fn acks_are_matched_by_packet_id_not_arrival_order() {
        let mut t = Tracker::default();
        let first = t.expect(Kind::Publish, true);
        let second = t.expect(Kind::Publish, true);
        t.record(Event::Outgoing(Outgoing::Publish(7)));
        t.record(Event::Outgoing(Outgoing::Publish(8)));
        t.record(Event::Incoming(Incoming::PubAck(PubAck::new(8))));
        assert_eq!(t.take_outcome(first), None);
        assert_eq!(t.take_outcome(second), Some(Outcome::Done));
        assert!(!t.settled());
        t.record(Event::Incoming(Incoming::PubAck(PubAck::new(7))));
        assert_eq!(t.take_outcome(first), Some(Outcome::Done));
        assert!(t.settled());
    }

    #[test]
    fn acks_and_qos0_publishes_wait_for_a_ping_to_confirm_them_and_answered_requests_do_not() {
        let mut t = Tracker::default();
        t.expect(Kind::Publish, true);
        t.record(Event::Outgoing(Outgoing::Publish(4)));
        t.expect(Kind::Subscribe, true);
        t.record(Event::Outgoing(Outgoing::Subscribe(5)));
        assert!(!t.unconfirmed_writes());
        t.ack_queued(1, 9);
        t.record(Event::Outgoing(Outgoing::PubAck(9)));
        assert!(t.unconfirmed_writes());
        t.confirming();
        assert!(!t.unconfirmed_writes());
        t.expect(Kind::Publish, false);
        t.record(Event::Outgoing(Outgoing::Publish(0)));
        assert!(t.unconfirmed_writes());
        t.confirming();
        t.record(Event::Outgoing(Outgoing::PubComp(3)));
        assert!(t.unconfirmed_writes());
    }

    #[test]
    fn suback_codes_reach_the_subscriber() {
        let mut t = Tracker::default();
        let ticket = t.expect(Kind::Subscribe, true);
        t.record(Event::Outgoing(Outgoing::Subscribe(3)));
        let codes = vec![SubscribeReasonCode::Failure];
        t.record(Event::Incoming(Incoming::SubAck(SubAck::new(
            3,
            codes.clone(),
        ))));
        assert_eq!(t.take_outcome(ticket), Some(Outcome::Subscribed(codes)));
    }

    #[test]
    fn first_byte_encodes_qos_retain_and_dup() {
        let mut p = Publish::new("t", QoS::AtLeastOnce, "x");
        p.retain = true;
        assert_eq!(message_of(p).first_byte(), 0x33);
    }
}
