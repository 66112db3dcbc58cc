//! What the board view's pages are told, as JSON lines: the board's picture when it changes,
//! its events, the script's MQTT traffic and its output. A page that opens late first gets
//! what came before (the newest few hundred of each), then everything live; history and the
//! live channel are taken under one lock, so nothing falls between them.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::broadcast;

/// How many of each kind of line a late page is shown.
const HISTORY: usize = 400;
/// How many lines may wait for a slow page before it misses some (it then resynchronises on
/// the next picture of the board).
const LIVE_BACKLOG: usize = 4096;
/// The most of a payload the page is sent; MQTT allows 256 MB, a page shows a screenful.
pub const PAYLOAD_SHOWN: usize = 8 * 1024;

/// One line for the pages.
pub type Line = Arc<str>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Board,
    Event,
    Traffic,
    Output,
}

#[derive(Debug, Default)]
struct History {
    board: Option<Line>,
    /// The last picture without its time, to tell whether a new one differs.
    board_value: Option<Value>,
    events: VecDeque<Line>,
    traffic: VecDeque<Line>,
    output: VecDeque<Line>,
}

impl History {
    fn keep(&mut self, kind: Kind, line: Line) {
        let queue = match kind {
            Kind::Board => {
                self.board = Some(line);
                return;
            }
            Kind::Event => &mut self.events,
            Kind::Traffic => &mut self.traffic,
            Kind::Output => &mut self.output,
        };
        if queue.len() == HISTORY {
            queue.pop_front();
        }
        queue.push_back(line);
    }

    fn replay(&self) -> Vec<Line> {
        let mut lines: Vec<Line> = self.board.iter().cloned().collect();
        lines.extend(self.events.iter().cloned());
        lines.extend(self.traffic.iter().cloned());
        lines.extend(self.output.iter().cloned());
        lines
    }
}

/// The feed of one board view.
#[derive(Debug)]
pub struct Feed {
    started: Instant,
    history: Mutex<History>,
    live: broadcast::Sender<Line>,
}

impl Default for Feed {
    fn default() -> Self {
        Feed::new()
    }
}

impl Feed {
    /// An empty feed, its clock starting now.
    pub fn new() -> Feed {
        Feed {
            started: Instant::now(),
            history: Mutex::new(History::default()),
            live: broadcast::channel(LIVE_BACKLOG).0,
        }
    }

    /// Milliseconds since the view started: the time every line carries.
    fn now(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn push(&self, kind: Kind, mut line: Value) {
        let mut history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        if kind == Kind::Board {
            if history.board_value.as_ref() == Some(&line) {
                return;
            }
            history.board_value = Some(line.clone());
        }
        line["t"] = json!(self.now());
        let line: Line = line.to_string().into();
        history.keep(kind, Arc::clone(&line));
        // No page listening is not an error.
        let _ = self.live.send(line);
    }

    /// The board's picture (a [`Snapshot`](crate::board::snapshot::Snapshot)); sent on only
    /// when it differs from the last one.
    pub fn board(&self, snapshot: &impl serde::Serialize) {
        self.push(Kind::Board, json!({"type": "board", "board": snapshot}));
    }

    /// A board event, in the trace's words (`pin LED = 1`), with what kind it is.
    pub fn event(&self, kind: &str, text: &str) {
        self.push(
            Kind::Event,
            json!({"type": "event", "kind": kind, "text": text}),
        );
    }

    /// A message the script published (`out`, with its QoS and retain flag) or received
    /// (`in`).
    pub fn message(
        &self,
        direction: &str,
        topic: &str,
        payload: &[u8],
        qos: Option<u8>,
        retain: bool,
    ) {
        let shown = &payload[..payload.len().min(PAYLOAD_SHOWN)];
        let text = String::from_utf8_lossy(shown);
        self.push(
            Kind::Traffic,
            json!({
                "type": "mqtt",
                "dir": direction,
                "topic": topic,
                "payload": text,
                "size": payload.len(),
                "truncated": shown.len() < payload.len(),
                "binary": std::str::from_utf8(shown).is_err(),
                "qos": qos,
                "retain": retain,
            }),
        );
    }

    /// The script's client: `connected`, `subscribed FILTER`, `unsubscribed FILTER`.
    pub fn client(&self, what: &str, filter: Option<&str>) {
        self.push(
            Kind::Traffic,
            json!({"type": "client", "what": what, "filter": filter}),
        );
    }

    /// A piece of what the script printed.
    pub fn output(&self, stream: &str, text: &str) {
        self.push(
            Kind::Output,
            json!({"type": "output", "stream": stream, "text": text}),
        );
    }

    /// The board's last picture, for a page that missed lines.
    pub fn current_board(&self) -> Option<Line> {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        history.board.clone()
    }

    /// What a page opening now is sent first, and the channel of what comes after.
    pub fn subscribe(&self) -> (Vec<Line>, broadcast::Receiver<Line>) {
        let history = self.history.lock().unwrap_or_else(|p| p.into_inner());
        (history.replay(), self.live.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn a_late_page_gets_the_history_then_the_live_lines() {
        let feed = Feed::new();
        feed.board(&json!({"pins": []}));
        feed.board(&json!({"pins": []}));
        feed.message("out", "a/b", b"{\"t\": 21.5}", Some(0), false);
        feed.output("stdout", "hello\n");
        let (history, mut live) = feed.subscribe();
        let kinds: Vec<Value> = history.iter().map(|l| parse(l)["type"].clone()).collect();
        // The unchanged board was sent once.
        assert_eq!(kinds, [json!("board"), json!("mqtt"), json!("output")]);
        assert_eq!(parse(&history[1])["payload"], "{\"t\": 21.5}");

        feed.event("output", "pin LED = 1");
        feed.board(&json!({"pins": [1]}));
        let next = parse(&live.try_recv().unwrap());
        assert_eq!(next["text"], "pin LED = 1");
        assert_eq!(
            parse(&live.try_recv().unwrap())["board"]["pins"],
            json!([1])
        );
        assert!(live.try_recv().is_err());
    }

    #[test]
    fn history_is_bounded_and_payloads_are_cut_to_what_a_page_shows() {
        let feed = Feed::new();
        for n in 0..HISTORY + 10 {
            feed.output("stdout", &format!("{n}\n"));
        }
        let big = vec![b'x'; PAYLOAD_SHOWN * 2];
        feed.message("in", "big", &big, None, false);
        feed.message("in", "bin", &[0xff, 0xfe], None, false);
        let (history, _) = feed.subscribe();
        let output: Vec<Value> = history
            .iter()
            .map(|l| parse(l))
            .filter(|v| v["type"] == "output")
            .collect();
        assert_eq!(output.len(), HISTORY);
        assert_eq!(output[0]["text"], "10\n");
        let big = parse(&history[history.len() - HISTORY - 2]);
        assert_eq!(big["size"], PAYLOAD_SHOWN * 2);
        assert_eq!(big["truncated"], true);
        assert_eq!(big["payload"].as_str().unwrap().len(), PAYLOAD_SHOWN);
        assert_eq!(parse(&history[history.len() - HISTORY - 1])["binary"], true);
    }
}
