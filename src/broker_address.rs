//! `HOST[:PORT]`, as given to `--broker` and `PYMQTT_BROKER`.

use std::fmt;
use std::str::FromStr;

/// The port MQTT uses without TLS.
pub const MQTT_PORT: u16 = 1883;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: u16,
}

impl FromStr for BrokerAddress {
    type Err = String;

    /// Accepts `host`, `host:port`, `[v6]`, `[v6]:port`, and an optional `mqtt://` prefix.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let rest = s.strip_prefix("mqtt://").unwrap_or(s);
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Err("expected HOST or HOST:PORT, e.g. localhost:1883".into());
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| format!("{s:?}: missing ']' after an IPv6 address"))?;
            match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if after.is_empty() => (host, None),
                None => return Err(format!("{s:?}: expected ':PORT' after ']'")),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, Some(port)),
                Some(_) => return Err(format!("{s:?}: write IPv6 addresses as [ADDR]:PORT")),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(format!("{s:?}: the host is missing"));
        }
        let port = match port {
            None => MQTT_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{s:?}: the port must be a number from 1 to 65535"))?,
        };
        Ok(BrokerAddress {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for BrokerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
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
        assert_eq!(parse("[::1]:1884"), Ok(("::1".into(), 1884)));
    }

    #[test]
    fn bad_ports_and_hosts_are_explained() {
        assert!(parse("host:0").is_err());
        assert!(parse("host:99999").is_err());
        assert!(parse(":1883").is_err());
        assert!(parse("").is_err());
        assert!(parse("::1").is_err());
    }
}
