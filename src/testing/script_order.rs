//! Puts what the script did back in the order it did it, for the expectation check.
//!
//! The harness hears of it by roads of different lengths. A pin change comes from the board at
//! once, on the script's thread. A message comes twice: the script's host announces its topic
//! the moment `publish()` returns, on that same thread and so in order with the pin changes,
//! and the watching client receives the message itself from the broker a little later. Each
//! message takes the place of its announcement, so `expect sensors/temp *` then `expect pin
//! LED = 1` is judged in the order the script published and set the pin, not in the order the
//! two reached the harness. Pure: the harness gives the time.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::expectations::{Observed, Published};

/// How long an announced message may take to come through the broker before it counts as lost
/// (the script's link was cut under it, say) and stops holding back what the script did after
/// it. Far more than a loopback broker takes, even on a busy machine.
pub const LOST_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug)]
enum Slot {
    /// Announced; the broker has not passed the message on yet.
    Awaited {
        topic: String,
        since: Instant,
    },
    Ready(Observed),
}

#[derive(Debug, Default)]
pub struct ScriptOrder {
    /// What the script did, oldest first; released from the front once ready.
    slots: VecDeque<Slot>,
    /// Topics of messages that came with no announcement waiting for them: the announcement
    /// may still be on its way (the broker was quicker), or never come (a client that does
    /// not announce, such as a pure-Python umqtt over sockets). Either way the message took
    /// its place when it came, right after what the script did before publishing it.
    unannounced: Vec<String>,
}

impl ScriptOrder {
    pub fn new() -> ScriptOrder {
        ScriptOrder::default()
    }

    /// The script's host says the script published on `topic`.
    pub fn announced(&mut self, topic: &str, now: Instant) {
        if let Some(at) = self.unannounced.iter().position(|t| t == topic) {
            self.unannounced.remove(at);
            return;
        }
        self.slots.push_back(Slot::Awaited {
            topic: topic.to_string(),
            since: now,
        });
    }

    /// The watching client received one of the script's messages.
    pub fn arrived(&mut self, message: Published) {
        let awaited = self
            .slots
            .iter_mut()
            .find(|slot| matches!(slot, Slot::Awaited { topic, .. } if *topic == message.topic));
        match awaited {
            Some(slot) => *slot = Slot::Ready(Observed::Message(message)),
            None => {
                self.unannounced.push(message.topic.clone());
                self.slots
                    .push_back(Slot::Ready(Observed::Message(message)));
            }
        }
    }

    /// The board says the script set an output pin.
    pub fn output(&mut self, pin: &str, level: u8) {
        self.slots.push_back(Slot::Ready(Observed::Output {
            pin: pin.to_string(),
            level,
        }));
    }

    /// What can be judged now, in the script's order: everything up to the first message
    /// still on its way. A message awaited for [`LOST_AFTER`] is given up.
    pub fn release(&mut self, now: Instant) -> Vec<Observed> {
        let mut ready = Vec::new();
        while let Some(slot) = self.slots.pop_front() {
            match slot {
                Slot::Ready(observed) => ready.push(observed),
                Slot::Awaited { since, .. }
                    if now.saturating_duration_since(since) >= LOST_AFTER => {}
                awaited @ Slot::Awaited { .. } => {
                    self.slots.push_front(awaited);
                    break;
                }
            }
        }
        ready
    }

    /// At the end of the test: everything that came, in order; messages that never came
    /// are given up.
    pub fn finish(&mut self) -> Vec<Observed> {
        self.slots
            .drain(..)
            .filter_map(|slot| match slot {
                Slot::Ready(observed) => Some(observed),
                Slot::Awaited { .. } => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str, payload: &str) -> Published {
        Published {
            topic: topic.into(),
            payload: payload.as_bytes().to_vec(),
            qos: 0,
            retain: false,
        }
    }

    fn described(observed: Vec<Observed>) -> Vec<String> {
        observed.iter().map(Observed::describe).collect()
    }

    #[test]
    fn a_message_takes_the_place_of_its_announcement() {
        let t0 = Instant::now();
        let mut order = ScriptOrder::new();
        order.announced("sensors/temp", t0);
        order.output("LED", 1);
        assert!(
            order.release(t0).is_empty(),
            "the LED waits for the message published before it"
        );
        order.arrived(message("sensors/temp", "21.5"));
        assert_eq!(
            described(order.release(t0)),
            ["sensors/temp 21.5", "pin LED = 1"]
        );
    }

    #[test]
    fn messages_on_one_topic_fill_their_announcements_in_turn() {
        let t0 = Instant::now();
        let mut order = ScriptOrder::new();
        order.announced("t", t0);
        order.announced("u", t0);
        order.announced("t", t0);
        order.output("LED", 0);
        order.arrived(message("u", "b"));
        order.arrived(message("t", "a"));
        assert_eq!(described(order.release(t0)), ["t a", "u b"]);
        order.arrived(message("t", "c"));
        assert_eq!(described(order.release(t0)), ["t c", "pin LED = 0"]);
    }

    #[test]
    fn a_message_quicker_than_its_announcement_keeps_its_place() {
        let t0 = Instant::now();
        let mut order = ScriptOrder::new();
        order.output("LED", 1);
        order.arrived(message("t", "a"));
        order.announced("t", t0);
        order.output("LED", 0);
        assert_eq!(
            described(order.release(t0)),
            ["pin LED = 1", "t a", "pin LED = 0"]
        );
    }

    #[test]
    fn a_message_that_never_comes_stops_holding_back_the_rest() {
        let t0 = Instant::now();
        let mut order = ScriptOrder::new();
        order.announced("lost", t0);
        order.output("LED", 1);
        assert!(order.release(t0 + LOST_AFTER / 2).is_empty());
        assert_eq!(described(order.release(t0 + LOST_AFTER)), ["pin LED = 1"]);

        order.announced("lost", t0);
        order.output("LED", 0);
        assert_eq!(described(order.finish()), ["pin LED = 0"]);
    }

    #[test]
    fn messages_nobody_announces_are_taken_as_they_come() {
        let t0 = Instant::now();
        let mut order = ScriptOrder::new();
        order.arrived(message("t", "a"));
        order.arrived(message("t", "b"));
        assert_eq!(described(order.release(t0)), ["t a", "t b"]);
    }
}
