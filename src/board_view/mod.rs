//! `--board-view`: the virtual board, the script's MQTT traffic and its output, live in a
//! browser. A page on `http://127.0.0.1:PORT/` draws the board's pins (outputs as lamps,
//! inputs as switches), PWM, analog inputs and sensors (as sliders), NeoPixels, Wi-Fi and
//! resets; the topics the script publishes and receives, with their last payloads, counts,
//! rates and a plot; and what the script prints. What a person changes there goes through
//! [`control`](crate::board::control), into the same board calls a `.wire` line makes.
//!
//! - `feed`: what the pages are told, with the history a late page is given first
//! - `server`: the HTTP side (axum on its own thread's tokio runtime), and what it refuses
//! - `page/`: the page, its script and style, compiled into the binary (no files, no network)
//!
//! ```no_run
//! use std::sync::Arc;
//! use pymqtt::board::Board;
//! use pymqtt::board_view::BoardView;
//! use pymqtt::{Host, Program};
//!
//! let board = Arc::new(Board::default());
//! let view = BoardView::start(Arc::clone(&board), "127.0.0.1:0".parse().unwrap()).unwrap();
//! println!("the board is on http://{}/", view.addr());
//! let host = Host::builder()
//!     .board(board)
//!     .hooks(view.hooks())
//!     .output(view.output())
//!     .build();
//! host.run(&Program::File("main.py".into()));
//! ```

mod feed;
mod server;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use feed::Feed;

use crate::board::{Board, BoardEvent};
use crate::host::{Hooks, OutputStream, ScriptEvent};

/// How often the board's picture is looked at for changes nobody announces (a reading the
/// script took, a link coming up while nobody asked).
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A running board view. It serves until the process ends.
///
/// ```
/// use std::io::{Read, Write};
/// use std::sync::Arc;
/// use pymqtt::board::Board;
/// use pymqtt::board_view::BoardView;
///
/// let board = Arc::new(Board::default());
/// board.set_input("14", 1);
/// let view = BoardView::start(Arc::clone(&board), "127.0.0.1:0".parse().unwrap()).unwrap();
/// let mut http = std::net::TcpStream::connect(view.addr()).unwrap();
/// write!(http, "GET /board HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", view.addr()).unwrap();
/// let mut answer = String::new();
/// http.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"pico_w\""), "{answer}");
/// ```
#[derive(Debug)]
pub struct BoardView {
    addr: SocketAddr,
    feed: Arc<Feed>,
}

impl BoardView {
    /// Listens on `bind` (port 0: a free one) and serves the view of `board` on a thread of
    /// its own.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::board_view::BoardView;
    ///
    /// let view = BoardView::start(Arc::new(Board::default()), "127.0.0.1:0".parse().unwrap()).unwrap();
    /// println!("the board: http://{}/", view.addr());
    /// ```
    pub fn start(board: Arc<Board>, bind: SocketAddr) -> std::io::Result<BoardView> {
        let listener = std::net::TcpListener::bind(bind)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let feed = Arc::new(Feed::new());

        let events = Arc::clone(&feed);
        board.listen(move |event| events.event(event_kind(event), &event.to_string()));
        feed.board(&board.snapshot());

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::new(server::Shared {
            board: Arc::clone(&board),
            feed: Arc::clone(&feed),
            addr,
        });
        std::thread::Builder::new()
            .name("pymqtt-board-view".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let looker = Arc::clone(&shared);
                    tokio::spawn(async move {
                        let mut tick = tokio::time::interval(LOOK_EVERY);
                        loop {
                            tick.tick().await;
                            looker.feed.board(&looker.board.snapshot());
                        }
                    });
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(e) => return eprintln!("pymqtt: the board view stopped: {e}"),
                    };
                    if let Err(e) = axum::serve(listener, server::router(shared)).await {
                        eprintln!("pymqtt: the board view stopped: {e}");
                    }
                })
            })?;
        Ok(BoardView { addr, feed })
    }

    /// Where the view listens.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::board_view::BoardView;
    ///
    /// let view = BoardView::start(Arc::new(Board::default()), "127.0.0.1:0".parse().unwrap()).unwrap();
    /// assert!(view.addr().ip().is_loopback() && view.addr().port() != 0);
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Hooks that show the script's MQTT traffic (for [`HostBuilder::hooks`](crate::HostBuilder::hooks)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::board_view::BoardView;
    /// use pymqtt::Host;
    ///
    /// let board = Arc::new(Board::default());
    /// let view = BoardView::start(Arc::clone(&board), "127.0.0.1:0".parse().unwrap()).unwrap();
    /// let host = Host::builder().board(board).hooks(view.hooks()).build();
    /// ```
    pub fn hooks(&self) -> Hooks {
        let feed = Arc::clone(&self.feed);
        Hooks::new(move |event| match event {
            ScriptEvent::Connected => feed.client("connected", None),
            ScriptEvent::Subscribed(filter) => feed.client("subscribed", Some(&filter)),
            ScriptEvent::Unsubscribed(filter) => feed.client("unsubscribed", Some(&filter)),
            ScriptEvent::Published {
                topic,
                payload,
                qos,
                retain,
            } => feed.message("out", &topic, &payload, Some(qos), retain),
            ScriptEvent::Received { topic, payload } => {
                feed.message("in", &topic, &payload, None, false)
            }
            ScriptEvent::Handled => {}
        })
    }

    /// An output callback (for [`HostBuilder::output`](crate::HostBuilder::output)) that
    /// prints as before and shows the text on the page too.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::board_view::BoardView;
    /// use pymqtt::{Host, Program};
    ///
    /// let board = Arc::new(Board::default());
    /// let view = BoardView::start(Arc::clone(&board), "127.0.0.1:0".parse().unwrap()).unwrap();
    /// let show = view.output();
    /// let host = Host::builder()
    ///     .board(board)
    ///     .output(move |stream, text| {
    ///         show(stream, text); // on the page
    ///         print!("{text}"); // and here
    ///     })
    ///     .build();
    /// host.run(&Program::Source("print('on the page too')".into()));
    /// ```
    pub fn output(&self) -> impl Fn(OutputStream, &str) + Send + Sync + 'static {
        let feed = Arc::clone(&self.feed);
        move |stream, text| {
            let name = match stream {
                OutputStream::Stdout => {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
                    "stdout"
                }
                OutputStream::Stderr => {
                    let _ = std::io::stderr().lock().write_all(text.as_bytes());
                    "stderr"
                }
            };
            feed.output(name, text);
        }
    }
}

/// The page draws each kind of event its own way.
fn event_kind(event: &BoardEvent) -> &'static str {
    match event {
        BoardEvent::Output { .. } => "output",
        BoardEvent::Pwm { .. } => "pwm",
        BoardEvent::Pixels { .. } => "pixels",
        BoardEvent::Input { .. } => "input",
        BoardEvent::Wifi(_) => "wifi",
        BoardEvent::Reset(_) => "reset",
    }
}
