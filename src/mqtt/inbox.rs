//! Received messages waiting for the script, in arrival order, bounded.
//!
//! A script that sleeps while messages arrive must not grow without end: the connection
//! stops reading its socket once the inbox is full ([`Inbox::is_full`]), so that TCP pushes
//! back and the broker applies its own queue limits, as it does for a MicroPython board that
//! is not reading. Reading cannot always stop: a script that publishes while its inbox is
//! full has the connection driven for its publish, and that reads too. Those messages are
//! kept up to twice the limit; beyond that a QoS 0 message is dropped (and counted), as the
//! broker would have dropped it. A QoS 1 or 2 message is never dropped: it is not
//! acknowledged until the script has handled it, so the broker holds back more of them (its
//! in-flight window) and redelivers any the script never got.

use std::collections::VecDeque;

use bytes::Bytes;

/// What one message costs beyond its topic and payload: the queue slot, the topic's
/// allocation and the bookkeeping around it (measured ~200 bytes per message in all).
const MESSAGE_OVERHEAD: usize = 160;

/// How much the inbox holds before the connection stops reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxLimit {
    /// Messages waiting.
    pub messages: usize,
    /// Bytes of their topics and payloads, with a bookkeeping allowance per message.
    pub bytes: usize,
}

impl Default for InboxLimit {
    /// A few MB, and more messages than a script handling them one by one would let pile up.
    fn default() -> Self {
        InboxLimit {
            messages: 10_000,
            bytes: 4 * 1024 * 1024,
        }
    }
}

/// A message received from the broker, waiting for `wait_msg`/`check_msg`.
#[derive(Debug, Clone)]
pub struct Message {
    /// The topic it was published to.
    pub topic: String,
    /// The message itself.
    pub payload: Bytes,
    /// The QoS it came with (0, 1 or 2).
    pub qos: u8,
    /// Whether the broker sent it as a retained message (on subscribing).
    pub retain: bool,
    /// Whether the broker says it may have sent it before (a redelivery).
    pub dup: bool,
    /// The packet id the acknowledgement names (QoS 1 and 2).
    pub pkid: u16,
    /// QoS 0 messages the inbox dropped (being over twice its limit) since the message
    /// taken before this one: set when the message is taken, so that whoever hands it to the
    /// script can say so without asking again.
    pub dropped_before: u64,
}

impl Message {
    /// The PUBLISH fixed header's first byte, which umqtt's `wait_msg` returns.
    pub fn first_byte(&self) -> u8 {
        0x30 | (u8::from(self.dup) << 3) | (self.qos << 1) | u8::from(self.retain)
    }

    fn cost(&self) -> usize {
        self.topic.len() + self.payload.len() + MESSAGE_OVERHEAD
    }
}

/// The received messages a connection holds for the script, oldest first.
#[derive(Debug, Default)]
pub struct Inbox {
    limit: InboxLimit,
    messages: VecDeque<Message>,
    bytes: usize,
    dropped: u64,
    /// `dropped` when the last message was taken.
    dropped_told: u64,
}

impl Inbox {
    /// An empty inbox that holds up to `limit`.
    pub fn new(limit: InboxLimit) -> Inbox {
        Inbox {
            limit,
            ..Inbox::default()
        }
    }

    /// Keeps a message that came in; a QoS 0 one is dropped (and counted) when the inbox is
    /// over twice its limit.
    pub fn push(&mut self, message: Message) {
        let over_twice = self.messages.len() >= self.limit.messages.saturating_mul(2)
            || self.bytes >= self.limit.bytes.saturating_mul(2);
        if over_twice && message.qos == 0 {
            self.dropped += 1;
            return;
        }
        self.bytes += message.cost();
        self.messages.push_back(message);
    }

    /// Takes the oldest message, with the count of QoS 0 messages dropped since the last one
    /// taken.
    pub fn pop(&mut self) -> Option<Message> {
        let mut message = self.messages.pop_front()?;
        self.bytes -= message.cost();
        message.dropped_before = self.dropped - self.dropped_told;
        self.dropped_told = self.dropped;
        Some(message)
    }

    /// True when no message waits.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// True when the connection should stop reading until the script takes messages.
    pub fn is_full(&self) -> bool {
        self.messages.len() >= self.limit.messages || self.bytes >= self.limit.bytes
    }

    /// QoS 0 messages dropped so far, because the inbox was over twice its limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(seq: u32, qos: u8) -> Message {
        Message {
            topic: "t".into(),
            payload: Bytes::from(seq.to_string()),
            qos,
            retain: false,
            dup: false,
            pkid: 0,
            dropped_before: 0,
        }
    }

    #[test]
    fn full_at_the_count_and_drops_qos0_only_past_twice_it() {
        let mut inbox = Inbox::new(InboxLimit {
            messages: 3,
            bytes: usize::MAX,
        });
        for seq in 0..3 {
            assert!(!inbox.is_full());
            inbox.push(message(seq, 0));
        }
        assert!(inbox.is_full());
        for seq in 3..8 {
            inbox.push(message(seq, 0));
        }
        inbox.push(message(8, 1));
        assert_eq!(inbox.dropped(), 2, "6 and 7 of QoS 0 past twice the limit");
        let kept: Vec<(String, u64)> = std::iter::from_fn(|| inbox.pop())
            .map(|m| {
                (
                    String::from_utf8(m.payload.to_vec()).unwrap(),
                    m.dropped_before,
                )
            })
            .collect();
        let payloads: Vec<&str> = kept.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(payloads, ["0", "1", "2", "3", "4", "5", "8"]);
        // The first message taken tells of the drops; the rest of none since.
        assert_eq!(kept[0].1, 2);
        assert!(kept[1..].iter().all(|(_, d)| *d == 0));
        assert!(!inbox.is_full() && inbox.is_empty());
    }

    #[test]
    fn full_at_the_byte_count_and_the_bytes_come_back() {
        let mut inbox = Inbox::new(InboxLimit {
            messages: usize::MAX,
            bytes: 2 * (MESSAGE_OVERHEAD + 2),
        });
        inbox.push(message(1, 0));
        assert!(!inbox.is_full());
        inbox.push(message(2, 0));
        assert!(inbox.is_full());
        inbox.pop();
        assert!(!inbox.is_full());
    }
}
