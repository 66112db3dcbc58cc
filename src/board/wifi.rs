//! The board's Wi-Fi station, as a state machine over time: joining a network takes a while
//! and can fail (no such network, wrong password); a joined link can drop for a while, and the
//! station joins again once the network is back. Pure: the caller says what time it is.

use std::time::{Duration, Instant};

/// A network the board can see.
///
/// ```
/// use pymqtt::board::wifi::Network;
///
/// let home = Network { ssid: "home".into(), password: Some("secret".into()), rssi: -55, channel: 6 };
/// assert!(home.password.is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Its name.
    pub ssid: String,
    /// `None` for an open network.
    pub password: Option<String>,
    /// dBm, as `status('rssi')` reports it.
    pub rssi: i32,
    /// Its channel, as `scan()` reports it.
    pub channel: u8,
}

/// Where the station is.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pymqtt::board::wifi::{Link, Network, Wifi};
///
/// let home = Network { ssid: "home".into(), password: None, rssi: -55, channel: 6 };
/// let mut wifi = Wifi::new(vec![home], Duration::from_millis(300));
/// let now = Instant::now();
/// wifi.connect("home", None, now);
/// assert_eq!(wifi.link(now), Link::Connecting);
/// assert_eq!(wifi.link(now + Duration::from_secs(1)), Link::Up { ssid: "home".into() });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Not asked to join (or disconnected).
    Idle,
    /// Joining, for the board's connect time.
    Connecting,
    /// Joined `ssid`, with an address.
    Up {
        /// The network's name.
        ssid: String,
    },
    /// The network refused the password.
    WrongPassword,
    /// No network of that name is in reach.
    NoApFound,
}

#[derive(Debug, Clone)]
struct Join {
    ssid: String,
    password: Option<String>,
    /// When the join completes (or fails), unless the network is down then.
    done_at: Instant,
}

/// The board's Wi-Fi station and the networks around it. Pure: the caller gives the time.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pymqtt::board::wifi::{Link, Network, Wifi};
///
/// let home = Network { ssid: "home".into(), password: None, rssi: -55, channel: 6 };
/// let mut wifi = Wifi::new(vec![home], Duration::from_millis(300));
/// let now = Instant::now();
/// wifi.connect("nowhere", None, now);
/// assert_eq!(wifi.link(now + Duration::from_secs(1)), Link::NoApFound);
/// ```
#[derive(Debug, Clone)]
pub struct Wifi {
    /// The networks in reach (unless dropped).
    pub networks: Vec<Network>,
    /// How long joining takes.
    pub connect_time: Duration,
    active: bool,
    join: Option<Join>,
    /// While set and in the future, every network is out of reach.
    down_until: Option<Instant>,
}

impl Wifi {
    /// A station with `networks` in reach, joining one in `connect_time`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::board::wifi::Wifi;
    ///
    /// let wifi = Wifi::new(Vec::new(), Duration::from_millis(300));
    /// assert!(!wifi.active());
    /// ```
    pub fn new(networks: Vec<Network>, connect_time: Duration) -> Wifi {
        Wifi {
            networks,
            connect_time,
            active: false,
            join: None,
            down_until: None,
        }
    }

    /// Whether the station is on (`WLAN.active()`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::Wifi;
    ///
    /// let mut wifi = Wifi::new(Vec::new(), Duration::ZERO);
    /// wifi.connect("home", None, Instant::now()); // activates an inactive station
    /// assert!(wifi.active());
    /// ```
    pub fn active(&self) -> bool {
        self.active
    }

    /// Turns the station on or off; off leaves the network it joined.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Link, Wifi};
    ///
    /// let mut wifi = Wifi::new(Vec::new(), Duration::ZERO);
    /// wifi.connect("home", None, Instant::now());
    /// wifi.set_active(false);
    /// assert_eq!(wifi.link(Instant::now()), Link::Idle);
    /// ```
    pub fn set_active(&mut self, active: bool) {
        self.active = active;
        if !active {
            self.join = None;
        }
    }

    /// `connect(ssid, key)`: starts joining. An inactive station is activated, as the ports do.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Link, Network, Wifi};
    ///
    /// let home = Network { ssid: "home".into(), password: Some("secret".into()), rssi: -55, channel: 6 };
    /// let mut wifi = Wifi::new(vec![home], Duration::ZERO);
    /// let now = Instant::now();
    /// wifi.connect("home", Some("wrong"), now);
    /// assert_eq!(wifi.link(now), Link::WrongPassword);
    /// ```
    pub fn connect(&mut self, ssid: &str, password: Option<&str>, now: Instant) {
        self.active = true;
        self.join = Some(Join {
            ssid: ssid.to_string(),
            password: password.map(str::to_string),
            done_at: now + self.connect_time,
        });
    }

    /// Leaves the network (`WLAN.disconnect()`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Link, Wifi};
    ///
    /// let mut wifi = Wifi::new(Vec::new(), Duration::ZERO);
    /// wifi.connect("home", None, Instant::now());
    /// wifi.disconnect();
    /// assert_eq!(wifi.link(Instant::now()), Link::Idle);
    /// ```
    pub fn disconnect(&mut self) {
        self.join = None;
    }

    /// Takes every network out of reach for `duration`; the station joins again afterwards.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Link, Network, Wifi};
    ///
    /// let home = Network { ssid: "home".into(), password: None, rssi: -55, channel: 6 };
    /// let mut wifi = Wifi::new(vec![home], Duration::ZERO);
    /// let now = Instant::now();
    /// wifi.connect("home", None, now);
    /// wifi.drop_for(Duration::from_secs(3), now);
    /// assert_eq!(wifi.link(now + Duration::from_secs(1)), Link::Connecting);
    /// assert!(wifi.is_up(now + Duration::from_secs(4)));
    /// ```
    pub fn drop_for(&mut self, duration: Duration, now: Instant) {
        self.down_until = Some(now + duration);
        if let Some(join) = &mut self.join {
            // Rejoining takes the usual time once the network is back.
            join.done_at = now + duration + self.connect_time;
        }
    }

    fn down(&self, now: Instant) -> bool {
        self.down_until.is_some_and(|until| now < until)
    }

    /// The link at `now`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Link, Wifi};
    ///
    /// assert_eq!(Wifi::new(Vec::new(), Duration::ZERO).link(Instant::now()), Link::Idle);
    /// ```
    pub fn link(&self, now: Instant) -> Link {
        let Some(join) = self.join.as_ref().filter(|_| self.active) else {
            return Link::Idle;
        };
        if self.down(now) || now < join.done_at {
            return Link::Connecting;
        }
        match self.networks.iter().find(|n| n.ssid == join.ssid) {
            // A board that declares no networks sees every network a script joins.
            None if self.networks.is_empty() => Link::Up {
                ssid: join.ssid.clone(),
            },
            None => Link::NoApFound,
            Some(n) if n.password.is_some() && n.password != join.password => Link::WrongPassword,
            Some(_) => Link::Up {
                ssid: join.ssid.clone(),
            },
        }
    }

    /// Whether the link is up at `now`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::Wifi;
    ///
    /// assert!(!Wifi::new(Vec::new(), Duration::ZERO).is_up(Instant::now()));
    /// ```
    pub fn is_up(&self, now: Instant) -> bool {
        matches!(self.link(now), Link::Up { .. })
    }

    /// The network joined now, if any.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Network, Wifi};
    ///
    /// let home = Network { ssid: "home".into(), password: None, rssi: -55, channel: 6 };
    /// let mut wifi = Wifi::new(vec![home], Duration::ZERO);
    /// let now = Instant::now();
    /// wifi.connect("home", None, now);
    /// assert_eq!(wifi.joined(now).unwrap().rssi, -55);
    /// ```
    pub fn joined(&self, now: Instant) -> Option<Network> {
        match self.link(now) {
            Link::Up { ssid } => Some(
                self.networks
                    .iter()
                    .find(|n| n.ssid == ssid)
                    .cloned()
                    .unwrap_or(Network {
                        ssid,
                        password: None,
                        rssi: -60,
                        channel: 6,
                    }),
            ),
            _ => None,
        }
    }

    /// What `scan()` finds: the declared networks (none on a board that declares none).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pymqtt::board::wifi::{Network, Wifi};
    ///
    /// let home = Network { ssid: "home".into(), password: None, rssi: -55, channel: 6 };
    /// let mut wifi = Wifi::new(vec![home], Duration::ZERO);
    /// let now = Instant::now();
    /// assert_eq!(wifi.visible(now).len(), 1);
    /// wifi.drop_for(Duration::from_secs(1), now);
    /// assert!(wifi.visible(now).is_empty());
    /// ```
    pub fn visible(&self, now: Instant) -> &[Network] {
        if self.down(now) { &[] } else { &self.networks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> Wifi {
        let network = Network {
            ssid: "home".into(),
            password: Some("secret".into()),
            rssi: -60,
            channel: 6,
        };
        Wifi::new(vec![network], Duration::from_millis(500))
    }

    #[test]
    fn joining_takes_its_time_and_checks_the_password() {
        let t0 = Instant::now();
        let mut wifi = home();
        assert_eq!(wifi.link(t0), Link::Idle);
        wifi.connect("home", Some("secret"), t0);
        assert_eq!(wifi.link(t0 + Duration::from_millis(100)), Link::Connecting);
        assert!(wifi.is_up(t0 + Duration::from_millis(500)));
        wifi.connect("home", Some("guess"), t0);
        assert_eq!(wifi.link(t0 + Duration::from_secs(1)), Link::WrongPassword);
        wifi.connect("cafe", None, t0);
        assert_eq!(wifi.link(t0 + Duration::from_secs(1)), Link::NoApFound);
    }

    #[test]
    fn a_drop_lasts_its_time_then_the_station_joins_again() {
        let t0 = Instant::now();
        let mut wifi = home();
        wifi.connect("home", Some("secret"), t0);
        let t1 = t0 + Duration::from_secs(1);
        wifi.drop_for(Duration::from_secs(3), t1);
        assert_eq!(wifi.link(t1 + Duration::from_secs(2)), Link::Connecting);
        assert_eq!(
            wifi.link(t1 + Duration::from_millis(3200)),
            Link::Connecting,
            "rejoining takes connect_time after the network is back"
        );
        assert!(wifi.is_up(t1 + Duration::from_millis(3500)));
    }
}
