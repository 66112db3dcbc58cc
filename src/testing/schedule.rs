//! When each `on ...:` stimulus is due, and whether the script has handled every message it
//! could receive. Pure bookkeeping: the harness feeds it the script's events and the clock,
//! and publishes (or does to the board) what it hands back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::wire_spec::{Stimulus, Trigger};
use crate::host::ScriptEvent;

#[derive(Debug)]
pub struct Schedule {
    /// Not sent yet, in file order, with the time each is due once its trigger happened.
    waiting: Vec<(Stimulus, Option<Instant>)>,
    subscriptions: Vec<String>,
    /// The last retained payload sent per topic: a later subscription receives it.
    retained: HashMap<String, Vec<u8>>,
    /// Messages the script will receive: stimuli it was subscribed to (or retained ones it
    /// subscribed to later), and its own messages on topics it is subscribed to.
    deliveries_due: usize,
    handled: usize,
    /// The filters the script had when the broker cut its connections: a script that comes
    /// back (umqtt.robust) subscribes to them again, and gets the retained messages sent
    /// meanwhile.
    lost_subscriptions: Vec<String>,
    /// Retained messages sent while the script was away, counted already for the
    /// subscription it is expected to make again.
    counted_ahead: Vec<String>,
}

impl Schedule {
    /// A schedule whose script starts at `start`.
    pub fn new(stimuli: &[Stimulus], start: Instant) -> Schedule {
        let mut schedule = Schedule {
            waiting: stimuli.iter().map(|s| (s.clone(), None)).collect(),
            subscriptions: Vec::new(),
            retained: HashMap::new(),
            deliveries_due: 0,
            handled: 0,
            lost_subscriptions: Vec::new(),
            counted_ahead: Vec::new(),
        };
        schedule.trigger(|t| *t == Trigger::Start, start);
        schedule
    }

    pub fn on_event(&mut self, event: &ScriptEvent, now: Instant) {
        match event {
            ScriptEvent::Connected => self.trigger(|t| *t == Trigger::Connect, now),
            ScriptEvent::Subscribed(filter) => {
                let ahead = &mut self.counted_ahead;
                self.deliveries_due += self
                    .retained
                    .keys()
                    .filter(|topic| rumqttc::matches(topic, filter))
                    .filter(|topic| match ahead.iter().position(|t| t == *topic) {
                        Some(at) => {
                            ahead.remove(at);
                            false
                        }
                        None => true,
                    })
                    .count();
                self.lost_subscriptions.retain(|f| f != filter);
                self.subscriptions.push(filter.clone());
                self.trigger(|t| matches!(t, Trigger::Subscribe(f) if f == filter), now);
            }
            ScriptEvent::Unsubscribed(filter) => self.subscriptions.retain(|f| f != filter),
            ScriptEvent::Handled => self.handled += 1,
            // Counted when the broker passes it on (see `on_script_published`).
            ScriptEvent::Published { .. } => {}
            // Counted once handled.
            ScriptEvent::Received { .. } => {}
        }
    }

    /// The script published on `topic`: if it is subscribed to it, the broker sends the
    /// message back, and the test is not over until the script handled that too.
    pub fn on_script_published(&mut self, topic: &str) {
        if self
            .subscriptions
            .iter()
            .any(|f| rumqttc::matches(topic, f))
        {
            self.deliveries_due += 1;
        }
    }

    /// The broker cut the script's connections (`drop`, `broker down`, `broker restart`):
    /// what is sent from now on reaches it only through a subscription it makes again (a
    /// session kept may bring more, which is no harm: the count is a minimum). A restart
    /// also forgets the retained messages.
    pub fn connections_cut(&mut self, restarted: bool) {
        let lost = std::mem::take(&mut self.subscriptions);
        self.lost_subscriptions.extend(lost);
        if restarted {
            self.retained.clear();
        }
    }

    /// Starts the clock of the stimuli waiting for this trigger (the first time it happens).
    fn trigger(&mut self, is_it: impl Fn(&Trigger) -> bool, now: Instant) {
        for (stimulus, due) in &mut self.waiting {
            if due.is_none() && is_it(&stimulus.trigger) {
                *due = Some(now + stimulus.delay);
            }
        }
    }

    /// The stimuli due by `now`, earliest first and in file order among equals; they count
    /// as sent.
    pub fn take_due(&mut self, now: Instant) -> Vec<Stimulus> {
        let mut due: Vec<(Stimulus, Instant)> = Vec::new();
        self.waiting.retain(|(stimulus, when)| match when {
            Some(when) if *when <= now => {
                due.push((stimulus.clone(), *when));
                false
            }
            _ => true,
        });
        due.sort_by_key(|(s, when)| (*when, s.line));
        let due: Vec<Stimulus> = due.into_iter().map(|(s, _)| s).collect();
        for stimulus in &due {
            self.sent(stimulus);
        }
        due
    }

    fn sent(&mut self, stimulus: &Stimulus) {
        // What the board does reaches the script through its pins, not its subscriptions.
        let Some(stimulus) = stimulus.message() else {
            return;
        };
        let matches =
            |filters: &[String]| filters.iter().any(|f| rumqttc::matches(&stimulus.topic, f));
        if matches(&self.subscriptions) {
            self.deliveries_due += 1;
        } else if stimulus.retain && matches(&self.lost_subscriptions) {
            // Waiting at the broker for the subscription the script will make again.
            self.deliveries_due += 1;
            self.counted_ahead.push(stimulus.topic.clone());
        }
        if stimulus.retain {
            // An empty retained message deletes the retained one, as MQTT says.
            if stimulus.payload.is_empty() {
                self.retained.remove(&stimulus.topic);
            } else {
                self.retained
                    .insert(stimulus.topic.clone(), stimulus.payload.clone());
            }
        }
    }

    /// How long until the next stimulus whose trigger happened is due.
    pub fn next_due(&self, now: Instant) -> Option<Duration> {
        self.waiting
            .iter()
            .filter_map(|(_, due)| *due)
            .min()
            .map(|due| due.saturating_duration_since(now))
    }

    /// Messages sent to the script that it has not handled yet.
    pub fn undelivered(&self) -> usize {
        self.deliveries_due.saturating_sub(self.handled)
    }

    /// Everything is sent and the script has handled every message it was to receive.
    pub fn finished(&self) -> bool {
        self.waiting.is_empty() && self.handled >= self.deliveries_due
    }

    /// What the schedule still waits for, for a test that ran out of time.
    pub fn pending(&self) -> Vec<String> {
        let mut pending: Vec<String> = self
            .waiting
            .iter()
            .map(|(s, due)| match due {
                None => format!(
                    "line {}: `on {}` never happened, so {} was not {}",
                    s.line,
                    s.trigger,
                    subject(s),
                    verb(s)
                ),
                Some(_) => format!("line {}: {} was not {} yet", s.line, subject(s), verb(s)),
            })
            .collect();
        if self.handled < self.deliveries_due {
            pending.push(format!(
                "the script handled {} of the {} messages sent to its subscriptions \
                 (it must call wait_msg() or check_msg() to receive them)",
                self.handled, self.deliveries_due
            ));
        }
        pending
    }
}

/// What a stimulus is, for a sentence: `the message to cmd/led`, `` `pin 14 = 0` ``.
fn subject(stimulus: &Stimulus) -> String {
    match stimulus.message() {
        Some(message) => format!("the message to {}", message.topic),
        None => format!("`{}`", stimulus.action),
    }
}

fn verb(stimulus: &Stimulus) -> &'static str {
    match stimulus.message() {
        Some(_) => "sent",
        None => "done",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::wire_spec::parse;

    fn schedule(spec: &str, start: Instant) -> Schedule {
        Schedule::new(&parse(spec).unwrap().stimuli, start)
    }

    /// Each stimulus as `send TOPIC`, `pin 14 = 0`, ...
    fn topics(sent: Vec<Stimulus>) -> Vec<String> {
        sent.into_iter()
            .map(|s| match s.message() {
                Some(message) => message.topic.clone(),
                None => s.action.to_string(),
            })
            .collect()
    }

    #[test]
    fn after_a_cut_only_a_new_subscription_brings_messages_and_a_retained_one_counts_once() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = schedule(
            "on subscribe cmd +1s: send cmd later retain\non subscribe cmd +2s: send cmd live\n",
            t0,
        );
        s.on_event(&ScriptEvent::Subscribed("cmd".into()), t0);
        s.connections_cut(true);
        // Sent while the script is away: it gets it when it subscribes again, once; the
        // test waits for that.
        assert_eq!(topics(s.take_due(t0 + ms(1000))), ["cmd"]);
        assert_eq!(s.undelivered(), 1);
        s.on_event(&ScriptEvent::Subscribed("cmd".into()), t0 + ms(1500));
        assert_eq!(s.undelivered(), 1);
        assert_eq!(topics(s.take_due(t0 + ms(2000))), ["cmd"]);
        s.on_event(&ScriptEvent::Handled, t0 + ms(1500));
        assert!(!s.finished());
        s.on_event(&ScriptEvent::Handled, t0 + ms(2000));
        assert!(s.finished());
    }

    #[test]
    fn stimuli_wait_for_their_trigger_and_delay() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = schedule(
            "on subscribe a/#: send a/x 1\n\
             on start: send first 1\n\
             on connect +100ms: send later 1\n\
             on connect: send c 1\n",
            t0,
        );
        assert_eq!(topics(s.take_due(t0)), ["first"]);
        assert_eq!(s.next_due(t0), None);
        s.on_event(&ScriptEvent::Connected, t0 + ms(10));
        assert_eq!(topics(s.take_due(t0 + ms(10))), ["c"]);
        assert_eq!(s.next_due(t0 + ms(10)), Some(ms(100)));
        s.on_event(&ScriptEvent::Subscribed("a/+".into()), t0 + ms(20));
        assert!(
            s.take_due(t0 + ms(20)).is_empty(),
            "only the exact filter triggers"
        );
        s.on_event(&ScriptEvent::Subscribed("a/#".into()), t0 + ms(30));
        assert_eq!(topics(s.take_due(t0 + ms(200))), ["a/x", "later"]);
        assert!(
            !s.finished(),
            "a/x went to a subscription: it must be handled"
        );
        s.on_event(&ScriptEvent::Handled, t0 + ms(210));
        assert!(s.finished());
    }

    #[test]
    fn equal_due_times_keep_file_order() {
        let t0 = Instant::now();
        let mut s = schedule(
            "on start: send b 1\non start: send a 1\non start: send c 1\n",
            t0,
        );
        assert_eq!(topics(s.take_due(t0)), ["b", "a", "c"]);
    }

    #[test]
    fn retained_messages_are_due_to_later_subscribers() {
        let t0 = Instant::now();
        let mut s = schedule("on start: send cfg/led on retain\non start: send x 1\n", t0);
        s.take_due(t0);
        assert!(s.finished(), "nobody subscribed yet");
        s.on_event(&ScriptEvent::Subscribed("cfg/#".into()), t0);
        assert!(!s.finished());
        assert!(s.pending()[0].contains("handled 0 of the 1"));
        s.on_event(&ScriptEvent::Handled, t0);
        assert!(s.finished());
    }

    #[test]
    fn a_trigger_that_never_happens_is_reported() {
        let t0 = Instant::now();
        let s = schedule("on subscribe t: send t 1\n", t0);
        assert!(!s.finished());
        assert!(s.pending()[0].contains("`on subscribe t` never happened"));
    }

    #[test]
    fn board_stimuli_are_due_as_sends_are_and_need_no_handling() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut s = schedule(
            "on +300ms: pin 14 = 0
             on connect +200ms: wifi drop 1s
             on start: send a 1
",
            t0,
        );
        s.on_event(&ScriptEvent::Subscribed("#".into()), t0);
        assert_eq!(topics(s.take_due(t0)), ["a"]);
        s.on_event(&ScriptEvent::Handled, t0);
        assert_eq!(topics(s.take_due(t0 + ms(300))), ["pin 14 = 0"]);
        assert_eq!(
            s.pending(),
            ["line 2: `on connect` never happened, so `wifi drop 1s` was not done"]
        );
        s.on_event(&ScriptEvent::Connected, t0 + ms(400));
        assert_eq!(s.pending(), ["line 2: `wifi drop 1s` was not done yet"]);
        assert_eq!(topics(s.take_due(t0 + ms(600))), ["wifi drop 1s"]);
        assert!(s.finished(), "{:?}", s.pending());
    }
}
