//! The board view's HTTP side, on axum: the page and its two assets, `/events` (the feed as
//! server-sent events), `/board` (the board's picture now, as JSON) and `POST /control` (a
//! person's change, in [`control`](crate::board::control)'s words).
//!
//! Only this board can be changed from here, and only from the page itself: a control must
//! come as JSON (so another site's form cannot post one, and its scripts would need a CORS
//! preflight nobody answers), from a page of this origin, addressed to this server by a name
//! that is its own (a rebinding DNS name is not).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::feed::{Feed, Line};
use crate::board::{Board, control};

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/page.js");
const STYLE: &str = include_str!("page/page.css");

/// What the handlers share.
pub(super) struct Shared {
    pub board: Arc<Board>,
    pub feed: Arc<Feed>,
    /// The address the view listens on: requests must name it (or `localhost`).
    pub addr: SocketAddr,
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(|| asset(PAGE, "text/html; charset=utf-8")))
        .route(
            "/page.js",
            get(|| asset(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route("/page.css", get(|| asset(STYLE, "text/css; charset=utf-8")))
        .route("/events", get(events))
        .route("/board", get(board))
        .route("/control", post(change))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            own_name_only,
        ))
        .with_state(shared)
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
            ),
        ],
        body,
    )
        .into_response()
}

/// Refuses a request addressed to another name: a page elsewhere whose DNS name was made to
/// point at 127.0.0.1 would otherwise be this origin.
async fn own_name_only(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if !names_this_server(host, shared.addr) {
        return (StatusCode::MISDIRECTED_REQUEST, "not this server's name\n").into_response();
    }
    next.run(request).await
}

/// Whether a `Host` header names the view at `addr`: its address, or `localhost` when it
/// listens on loopback. A view shared on a LAN (`--board-view-bind`) takes any name.
fn names_this_server(host: Option<&str>, addr: SocketAddr) -> bool {
    if !addr.ip().is_loopback() {
        return true;
    }
    let Some(host) = host else {
        return false;
    };
    let port = addr.port();
    [
        addr.to_string(),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ]
    .iter()
    .any(|name| name.eq_ignore_ascii_case(host))
}

async fn events(
    State(shared): State<Arc<Shared>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (history, live) = shared.feed.subscribe();
    let feed = Arc::clone(&shared.feed);
    let replay = stream::iter(history).map(|line| Ok(event(&line)));
    let live = stream::unfold((live, feed), |(mut live, feed)| async move {
        loop {
            match live.recv().await {
                Ok(line) => return Some((Ok(event(&line)), (live, feed))),
                // A page too slow for the traffic misses lines; the board's picture is whole
                // again at once.
                Err(RecvError::Lagged(_)) => {
                    if let Some(board) = feed.current_board() {
                        return Some((Ok(event(&board)), (live, feed)));
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(replay.chain(live)).keep_alive(KeepAlive::default())
}

fn event(line: &Line) -> Event {
    Event::default().data(&**line)
}

async fn board(State(shared): State<Arc<Shared>>) -> Json<crate::board::snapshot::Snapshot> {
    Json(shared.board.snapshot())
}

#[derive(Deserialize)]
struct Change {
    control: String,
    value: serde_json::Value,
}

async fn change(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(change): Json<Change>,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN)
        && !same_origin(origin, headers.get(header::HOST))
    {
        return (
            StatusCode::FORBIDDEN,
            "controls come from the board view's own page\n",
        )
            .into_response();
    }
    let value = match &change.value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match control::apply(&shared.board, &change.control, &value) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => (StatusCode::BAD_REQUEST, format!("{message}\n")).into_response(),
    }
}

/// `Origin: http://HOST` for the `Host` the request was sent to.
fn same_origin(origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), host.map(|h| h.to_str())) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .is_some_and(|name| name.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_views_own_names_are_served() {
        let addr: SocketAddr = "127.0.0.1:8090".parse().unwrap();
        assert!(names_this_server(Some("127.0.0.1:8090"), addr));
        assert!(names_this_server(Some("LOCALHOST:8090"), addr));
        assert!(!names_this_server(Some("attacker.example:8090"), addr));
        assert!(!names_this_server(Some("127.0.0.1:9999"), addr));
        assert!(!names_this_server(None, addr));
        let shared: SocketAddr = "0.0.0.0:8090".parse().unwrap();
        assert!(names_this_server(Some("pi.local:8090"), shared));
    }

    #[test]
    fn controls_must_come_from_the_same_origin() {
        let host = HeaderValue::from_static("127.0.0.1:8090");
        let ok = HeaderValue::from_static("http://127.0.0.1:8090");
        let other = HeaderValue::from_static("http://evil.example");
        assert!(same_origin(&ok, Some(&host)));
        assert!(!same_origin(&other, Some(&host)));
        assert!(!same_origin(&ok, None));
    }
}
