//! `pymqtt test --record`: what a script did in a live run, written as the `.wire` file
//! that replays it. What it received becomes `send` lines, timed from the subscription that
//! brought them (`on subscribe FILTER +DELAY:`), or from the start when no subscription of
//! its matches; what it published becomes `expect` lines, in order. Its own messages coming
//! back to it (a topic it publishes and subscribes to) are not sends: replayed, the script
//! publishes them again itself. Pure: the recorder feeds it the script's events and times.

use std::time::{Duration, Instant};

use super::expectations::show_payload;
use crate::host::ScriptEvent;

#[derive(Debug)]
pub struct Recording {
    start: Instant,
    /// Each filter the script subscribed to, with when it first did.
    subscriptions: Vec<(String, Instant)>,
    /// What the script published and has not had back yet, for telling echoes from sends.
    own: Vec<(String, bytes::Bytes)>,
    lines: Vec<String>,
    sends: usize,
    expects: usize,
}

impl Recording {
    pub fn new(start: Instant) -> Recording {
        Recording {
            start,
            subscriptions: Vec::new(),
            own: Vec::new(),
            lines: Vec::new(),
            sends: 0,
            expects: 0,
        }
    }

    pub fn on_event(&mut self, event: &ScriptEvent, at: Instant) {
        match event {
            ScriptEvent::Subscribed(filter) => {
                if !self.subscriptions.iter().any(|(f, _)| f == filter) {
                    self.subscriptions.push((filter.clone(), at));
                }
            }
            ScriptEvent::Published {
                topic,
                payload,
                qos,
                retain,
            } => {
                if self
                    .subscriptions
                    .iter()
                    .any(|(f, _)| rumqttc::matches(topic, f))
                {
                    self.own.push((topic.clone(), payload.clone()));
                }
                let mut line = format!("expect {topic} {}", show_payload(payload));
                if *qos > 0 {
                    line.push_str(&format!(" qos={qos}"));
                }
                if *retain {
                    line.push_str(" retain");
                }
                self.lines.push(line);
                self.expects += 1;
            }
            ScriptEvent::Received { topic, payload } => {
                if let Some(echo) = self
                    .own
                    .iter()
                    .position(|(t, p)| t == topic && p == payload)
                {
                    self.own.remove(echo);
                    return;
                }
                let trigger = self
                    .subscriptions
                    .iter()
                    .find(|(f, _)| rumqttc::matches(topic, f))
                    .map(|(filter, since)| (format!("subscribe {filter} "), *since))
                    .unwrap_or((String::new(), self.start));
                let delay = millis(at.saturating_duration_since(trigger.1));
                self.lines.push(format!(
                    "on {}+{delay}ms: send {topic} {}",
                    trigger.0,
                    show_payload(payload)
                ));
                self.sends += 1;
            }
            ScriptEvent::Connected | ScriptEvent::Unsubscribed(_) | ScriptEvent::Handled => {}
        }
    }

    /// The `.wire` text, with a limit of the run's length and some to spare.
    pub fn wire_text(&self, script: &str, ran: Duration) -> String {
        let limit = (ran.as_secs_f64() * 1.5 + 5.0).ceil() as u64;
        let mut text = format!(
            "# Recorded from a run of {script} by `pymqtt test --record`: what it received \
             ({} send lines) and published ({} expect lines).\nlimit {limit}s\n",
            self.sends, self.expects
        );
        for line in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(topic: &str, payload: &'static str) -> ScriptEvent {
        ScriptEvent::Received {
            topic: topic.into(),
            payload: bytes::Bytes::from_static(payload.as_bytes()),
        }
    }

    fn published(topic: &str, payload: &'static str, qos: u8, retain: bool) -> ScriptEvent {
        ScriptEvent::Published {
            topic: topic.into(),
            payload: bytes::Bytes::from_static(payload.as_bytes()),
            qos,
            retain,
        }
    }

    #[test]
    fn receptions_become_timed_sends_and_publishes_expectations_and_echoes_neither() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut r = Recording::new(t0);
        r.on_event(&received("early/t", "boot"), ms(50));
        r.on_event(&ScriptEvent::Subscribed("cmd/#".into()), ms(100));
        r.on_event(&received("cmd/led", "on"), ms(1350));
        r.on_event(&published("state/led", "on now", 1, true), ms(1360));
        r.on_event(&ScriptEvent::Subscribed("echo".into()), ms(1400));
        r.on_event(&published("echo", "x", 0, false), ms(1500));
        r.on_event(&received("echo", "x"), ms(1510));
        let text = r.wire_text("led.py", Duration::from_secs(2));
        assert!(
            text.starts_with("# Recorded from a run of led.py"),
            "{text}"
        );
        assert!(
            text.contains("(2 send lines) and published (2 expect lines)"),
            "{text}"
        );
        let lines: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(
            lines,
            [
                "limit 8s",
                "on +50ms: send early/t boot",
                "on subscribe cmd/# +1250ms: send cmd/led on",
                "expect state/led \"on now\" qos=1 retain",
                "expect echo x",
            ]
        );
        // What it wrote is a .wire file.
        crate::testing::wire_spec::parse(&text).unwrap();
    }
}
