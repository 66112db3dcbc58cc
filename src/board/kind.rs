//! The kinds of board a script may have been written for: what `os.uname()` says, which pin
//! names exist, where the LED is, what the Wi-Fi status numbers are. Scripts compare with these
//! literally (`wlan.status() == 3` on a Pico W), so each kind has its port's own.

/// The numbers `network.WLAN.status()` returns on a port, as its `network.STAT_*` constants.
///
/// ```
/// use pymqtt::board::BoardKind;
///
/// let pico = BoardKind::named("pico_w").unwrap();
/// assert_eq!(pico.wifi.got_ip, 3); // network.STAT_GOT_IP on a Pico W
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WifiStatuses {
    /// Not asked to join.
    pub idle: i32,
    /// Joining.
    pub connecting: i32,
    /// The network refused the password.
    pub wrong_password: i32,
    /// No network of that name is in reach.
    pub no_ap_found: i32,
    /// Joining failed otherwise.
    pub connect_fail: i32,
    /// Joined, with an address.
    pub got_ip: i32,
}

/// A kind of board: what a script written for it can tell about it.
///
/// ```
/// use pymqtt::board::BoardKind;
///
/// let esp8266 = BoardKind::named("esp8266").unwrap();
/// assert!(esp8266.led_active_low);
/// assert_eq!(esp8266.pin_id("D4").as_deref(), Some("2"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardKind {
    /// The name a board file gives (`kind = "pico_w"`).
    pub name: &'static str,
    /// `os.uname().sysname` and `sys.platform`'s port name.
    pub sysname: &'static str,
    /// `os.uname().machine`.
    pub machine: &'static str,
    /// Pin names and the pin each stands for; numbers stand for themselves.
    pub aliases: &'static [(&'static str, &'static str)],
    /// Whether `value(1)` on the LED pin turns it off (the ESP8266's LED is wired to 3.3 V).
    pub led_active_low: bool,
    /// `machine.freq()` in Hz.
    pub freq: u32,
    /// Bytes of `machine.unique_id()` (the flash id on an RP2040, the MAC on an ESP).
    pub unique_id_len: usize,
    /// `network.WLAN.status()`'s numbers on this kind's port.
    pub wifi: WifiStatuses,
}

/// The Pico W (RP2040 with a CYW43 radio): `Pin("LED")` is on the radio chip.
const PICO_W: BoardKind = BoardKind {
    name: "pico_w",
    sysname: "rp2",
    machine: "Raspberry Pi Pico W with RP2040",
    aliases: &[("LED", "LED"), ("WL_GPIO0", "LED")],
    led_active_low: false,
    freq: 125_000_000,
    unique_id_len: 8,
    wifi: WifiStatuses {
        idle: 0,
        connecting: 1,
        wrong_password: -3,
        no_ap_found: -2,
        connect_fail: -1,
        got_ip: 3,
    },
};

/// An ESP32 dev board: the LED on GPIO2.
const ESP32: BoardKind = BoardKind {
    name: "esp32",
    sysname: "esp32",
    machine: "Generic ESP32 module with ESP32",
    aliases: &[("LED", "2")],
    led_active_low: false,
    freq: 160_000_000,
    unique_id_len: 6,
    wifi: WifiStatuses {
        idle: 1000,
        connecting: 1001,
        wrong_password: 202,
        no_ap_found: 201,
        connect_fail: 203,
        got_ip: 1010,
    },
};

/// An ESP8266 (NodeMCU/Wemos labels D0..D8): the LED on GPIO2, lit when low.
const ESP8266: BoardKind = BoardKind {
    name: "esp8266",
    sysname: "esp8266",
    machine: "ESP module with ESP8266",
    aliases: &[
        ("LED", "2"),
        ("D0", "16"),
        ("D1", "5"),
        ("D2", "4"),
        ("D3", "0"),
        ("D4", "2"),
        ("D5", "14"),
        ("D6", "12"),
        ("D7", "13"),
        ("D8", "15"),
    ],
    led_active_low: true,
    freq: 80_000_000,
    unique_id_len: 4,
    wifi: WifiStatuses {
        idle: 0,
        connecting: 1,
        wrong_password: 2,
        no_ap_found: 3,
        connect_fail: 4,
        got_ip: 5,
    },
};

/// Every kind of board there is, the default first.
///
/// ```
/// use pymqtt::board::kind::KINDS;
///
/// assert_eq!(KINDS[0].name, "pico_w");
/// ```
pub const KINDS: &[BoardKind] = &[PICO_W, ESP32, ESP8266];

impl BoardKind {
    /// The kind named `name`.
    ///
    /// ```
    /// use pymqtt::board::BoardKind;
    ///
    /// assert_eq!(BoardKind::named("esp32").unwrap().sysname, "esp32");
    /// assert!(BoardKind::named("arduino").is_none());
    /// ```
    pub fn named(name: &str) -> Option<&'static BoardKind> {
        KINDS.iter().find(|k| k.name == name)
    }

    /// The board a script gets when nothing says otherwise: a Pico W, the board most MQTT
    /// tutorials are written for now.
    ///
    /// ```
    /// use pymqtt::board::BoardKind;
    ///
    /// assert_eq!(BoardKind::default_kind().name, "pico_w");
    /// ```
    pub fn default_kind() -> &'static BoardKind {
        &KINDS[0]
    }

    /// The names of every kind, for messages.
    ///
    /// ```
    /// use pymqtt::board::BoardKind;
    ///
    /// assert_eq!(BoardKind::names(), "pico_w, esp32, esp8266");
    /// ```
    pub fn names() -> String {
        KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
    }

    /// How the board's own pinout names the pin `id` (a canonical id): `GP15` on a Pico,
    /// `GPIO2` on an ESP, `LED` as itself.
    ///
    /// ```
    /// use pymqtt::board::BoardKind;
    ///
    /// assert_eq!(BoardKind::default_kind().pin_label("15"), "GP15");
    /// assert_eq!(BoardKind::named("esp32").unwrap().pin_label("2"), "GPIO2");
    /// ```
    pub fn pin_label(&self, id: &str) -> String {
        if id.parse::<u32>().is_err() {
            return id.to_string();
        }
        match self.name {
            "pico_w" => format!("GP{id}"),
            _ => format!("GPIO{id}"),
        }
    }

    /// The canonical id of the pin a script names `name` (`"GP15"` and `"15"` are pin 15 on
    /// a Pico, `"D4"` is GPIO2 on an ESP8266), or `None` for a name the board lacks.
    ///
    /// ```
    /// use pymqtt::board::BoardKind;
    ///
    /// let pico = BoardKind::default_kind();
    /// assert_eq!(pico.pin_id("GP15").as_deref(), Some("15"));
    /// assert_eq!(pico.pin_id("WL_GPIO0").as_deref(), Some("LED"));
    /// assert_eq!(pico.pin_id("D4"), None);
    /// ```
    pub fn pin_id(&self, name: &str) -> Option<String> {
        let name = name.trim();
        if let Some((_, pin)) = self.aliases.iter().find(|(alias, _)| *alias == name) {
            return Some(pin.to_string());
        }
        let number = match self.name {
            "pico_w" => name.strip_prefix("GP").unwrap_or(name),
            _ => name.strip_prefix("GPIO").unwrap_or(name),
        };
        number
            .parse::<u32>()
            .ok()
            .filter(|n| *n < 64)
            .map(|n| n.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_named_as_on_each_board() {
        let pico = BoardKind::named("pico_w").unwrap();
        assert_eq!(pico.pin_id("GP15").as_deref(), Some("15"));
        assert_eq!(pico.pin_id("15").as_deref(), Some("15"));
        assert_eq!(pico.pin_id("LED").as_deref(), Some("LED"));
        assert_eq!(pico.pin_id("X9"), None);
        assert_eq!(pico.pin_label("15"), "GP15");
        assert_eq!(pico.pin_id(&pico.pin_label("15")).as_deref(), Some("15"));
        assert_eq!(pico.pin_label("LED"), "LED");
        let esp8266 = BoardKind::named("esp8266").unwrap();
        assert_eq!(esp8266.pin_id("D4").as_deref(), Some("2"));
        assert_eq!(esp8266.pin_id("LED").as_deref(), Some("2"));
        assert_eq!(esp8266.pin_label("2"), "GPIO2");
        assert!(BoardKind::names().contains("esp32"));
    }
}
