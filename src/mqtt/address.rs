//! `[SCHEME://]HOST[:PORT][/PATH]`, as given to `--broker` and `PYMQTT_BROKER`.

use std::fmt;
use std::str::FromStr;

/// The port MQTT uses without TLS.
///
/// ```
/// assert_eq!("localhost".parse::<pymqtt::BrokerAddress>().unwrap().port, pymqtt::MQTT_PORT);
/// ```
pub const MQTT_PORT: u16 = 1883;
/// The port MQTT uses over TLS.
///
/// ```
/// assert_eq!("mqtts://localhost".parse::<pymqtt::BrokerAddress>().unwrap().port, pymqtt::MQTTS_PORT);
/// ```
pub const MQTTS_PORT: u16 = 8883;

/// How the bytes travel: the URL scheme of a broker address.
///
/// ```
/// use pymqtt::{BrokerAddress, Scheme};
///
/// let address: BrokerAddress = "wss://broker.example.com/mqtt".parse().unwrap();
/// assert_eq!(address.scheme, Scheme::Wss);
/// assert!(address.scheme.is_tls() && address.scheme.is_websocket());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Plain TCP (`host:port` or `mqtt://`).
    #[default]
    Mqtt,
    /// TLS over TCP (`mqtts://`).
    Mqtts,
    /// WebSocket (`ws://`).
    Ws,
    /// WebSocket over TLS (`wss://`).
    Wss,
}

impl Scheme {
    /// The scheme as a URL spells it, without `://`: `mqtt`, `mqtts`, `ws` or `wss`.
    ///
    /// ```
    /// assert_eq!(pymqtt::Scheme::Mqtts.name(), "mqtts");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Mqtt => "mqtt",
            Scheme::Mqtts => "mqtts",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        }
    }

    /// The port a URL of this scheme means when it names none.
    ///
    /// ```
    /// assert_eq!(pymqtt::Scheme::Wss.default_port(), 443);
    /// ```
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Mqtt => MQTT_PORT,
            Scheme::Mqtts => MQTTS_PORT,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
        }
    }

    /// Whether the connection is encrypted with TLS (`mqtts://`, `wss://`).
    ///
    /// ```
    /// assert!(pymqtt::Scheme::Mqtts.is_tls() && !pymqtt::Scheme::Ws.is_tls());
    /// ```
    pub fn is_tls(self) -> bool {
        matches!(self, Scheme::Mqtts | Scheme::Wss)
    }

    /// Whether MQTT travels inside a WebSocket (`ws://`, `wss://`).
    ///
    /// ```
    /// assert!(pymqtt::Scheme::Ws.is_websocket() && !pymqtt::Scheme::Mqtt.is_websocket());
    /// ```
    pub fn is_websocket(self) -> bool {
        matches!(self, Scheme::Ws | Scheme::Wss)
    }

    fn split(s: &str) -> (Option<Scheme>, &str) {
        for scheme in [Scheme::Mqtt, Scheme::Mqtts, Scheme::Ws, Scheme::Wss] {
            let prefix = format!("{}://", scheme.name());
            if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(&prefix) {
                return (Some(scheme), &s[prefix.len()..]);
            }
        }
        (None, s)
    }
}

/// Where a broker is and how to reach it.
///
/// Build one with [`BrokerAddress::tcp`] or by parsing; `..Default::default()` fills the
/// scheme and path of a plain TCP address.
///
/// ```
/// use pymqtt::{BrokerAddress, Scheme};
///
/// let address: BrokerAddress = "[::1]:1884".parse().unwrap();
/// assert_eq!((address.host.as_str(), address.port, address.scheme), ("::1", 1884, Scheme::Mqtt));
/// assert_eq!(address, BrokerAddress::tcp("::1", 1884));
/// assert!("http://example.com".parse::<BrokerAddress>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    /// The broker's host name or IP address (an IPv6 address without its brackets).
    pub host: String,
    /// The broker's port.
    pub port: u16,
    /// How the bytes travel.
    pub scheme: Scheme,
    /// The HTTP path of a WebSocket address (e.g. `/mqtt`); `/` when the URL names none, empty
    /// for the other schemes.
    pub path: String,
}

impl Default for BrokerAddress {
    fn default() -> Self {
        BrokerAddress::tcp("localhost", MQTT_PORT)
    }
}

impl BrokerAddress {
    /// A plain MQTT (TCP) address.
    ///
    /// ```
    /// use pymqtt::BrokerAddress;
    ///
    /// let address = BrokerAddress::tcp("127.0.0.1", 1884);
    /// assert_eq!(address.to_string(), "127.0.0.1:1884");
    /// ```
    pub fn tcp(host: impl Into<String>, port: u16) -> BrokerAddress {
        BrokerAddress {
            host: host.into(),
            port,
            scheme: Scheme::Mqtt,
            path: String::new(),
        }
    }

    /// `host:port`, with an IPv6 host in brackets.
    ///
    /// ```
    /// use pymqtt::BrokerAddress;
    ///
    /// assert_eq!(BrokerAddress::tcp("::1", 1883).host_port(), "[::1]:1883");
    /// ```
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `ws://` or `wss://` URL of a WebSocket address.
    ///
    /// ```
    /// use pymqtt::BrokerAddress;
    ///
    /// let address: BrokerAddress = "ws://localhost:8080".parse().unwrap();
    /// assert_eq!(address.websocket_url(), "ws://localhost:8080/");
    /// ```
    pub fn websocket_url(&self) -> String {
        format!("{}://{}{}", self.scheme.name(), self.host_port(), self.path)
    }
}

impl FromStr for BrokerAddress {
    type Err = String;

    /// Accepts `host`, `host:port`, `[v6]`, `[v6]:port`, each with an optional `mqtt://`,
    /// `mqtts://`, `ws://` or `wss://` in front; a WebSocket URL may end in a path.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (scheme, rest) = Scheme::split(s);
        if scheme.is_none() && s.contains("://") {
            return Err(format!(
                "{s:?}: unknown scheme; use mqtt://, mqtts://, ws:// or wss://"
            ));
        }
        let scheme = scheme.unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let path = if scheme.is_websocket() {
            if path.is_empty() { "/" } else { path }.to_string()
        } else if path.trim_end_matches('/').is_empty() {
            String::new()
        } else {
            return Err(format!(
                "{s:?}: only ws:// and wss:// addresses have a path"
            ));
        };
        if authority.is_empty() {
            return Err("expected HOST or HOST:PORT, e.g. localhost:1883".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{s:?}: missing ']' after an IPv6 address"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("{s:?}: expected ':PORT' after ']'")),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                Some(_) => return Err(format!("{s:?}: write IPv6 addresses as [ADDR]:PORT")),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{s:?}: the host is missing"));
        }
        let port = match port {
            None => scheme.default_port(),
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{s:?}: the port must be a number from 1 to 65535"))?,
        };
        Ok(BrokerAddress {
            host: host.to_string(),
            port,
            scheme,
            path,
        })
    }
}

impl fmt::Display for BrokerAddress {
    /// `host:port` for plain MQTT (as before schemes existed), else a URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheme {
            Scheme::Mqtt => f.write_str(&self.host_port()),
            Scheme::Mqtts => write!(f, "mqtts://{}", self.host_port()),
            Scheme::Ws | Scheme::Wss => f.write_str(&self.websocket_url()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(String, u16), String> {
        s.parse::<BrokerAddress>().map(|a| (a.host, a.port))
    }

    #[test]
    fn host_and_optional_port() {
        assert_eq!(parse("localhost"), Ok(("localhost".into(), 1883)));
        assert_eq!(parse("127.0.0.1:18830"), Ok(("127.0.0.1".into(), 18830)));
        assert_eq!(parse("mqtt://broker:1884"), Ok(("broker".into(), 1884)));
        assert_eq!(parse("mqtt://broker/"), Ok(("broker".into(), 1883)));
        assert_eq!(parse("[::1]:1884"), Ok(("::1".into(), 1884)));
    }

    #[test]
    fn bad_ports_and_hosts_are_explained() {
        assert!(parse("host:0").is_err());
        assert!(parse("host:99999").is_err());
        assert!(parse(":1883").is_err());
        assert!(parse("").is_err());
        assert!(parse("::1").is_err());
        assert!(parse("http://host").unwrap_err().contains("unknown scheme"));
        assert!(parse("mqtt://host/mqtt").unwrap_err().contains("path"));
        assert!(parse("ws://").is_err());
    }

    #[test]
    fn schemes_choose_transport_and_default_port() {
        let a: BrokerAddress = "mqtts://broker.emqx.io".parse().unwrap();
        assert_eq!(
            (a.scheme, a.port, a.path.as_str()),
            (Scheme::Mqtts, 8883, "")
        );
        let a: BrokerAddress = "ws://broker.emqx.io:8083/mqtt".parse().unwrap();
        assert_eq!(
            (a.scheme, a.port, a.path.as_str()),
            (Scheme::Ws, 8083, "/mqtt")
        );
        assert_eq!(a.to_string(), "ws://broker.emqx.io:8083/mqtt");
        let a: BrokerAddress = "WSS://[::1]".parse().unwrap();
        assert_eq!((a.scheme, a.port, a.path.as_str()), (Scheme::Wss, 443, "/"));
        assert_eq!(a.websocket_url(), "wss://[::1]:443/");
        let a: BrokerAddress = "ws://h/a/b?x=1".parse().unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.path.as_str()),
            ("h", 80, "/a/b?x=1")
        );
    }

    #[test]
    fn plain_addresses_print_as_before() {
        assert_eq!(BrokerAddress::tcp("::1", 1).to_string(), "[::1]:1");
        assert_eq!(
            "mqtt://h:2".parse::<BrokerAddress>().unwrap(),
            BrokerAddress::tcp("h", 2)
        );
        assert_eq!(BrokerAddress::default().to_string(), "localhost:1883");
        let a: BrokerAddress = "mqtts://h".parse().unwrap();
        assert_eq!(a.to_string(), "mqtts://h:8883");
    }
}
