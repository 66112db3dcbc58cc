//! The whole board at one moment, as a watcher that draws it needs it: every pin the script
//! or the board file touched with its mode and level, the analog inputs and sensors with what
//! they read next, the NeoPixel strips' colours and the Wi-Fi link. It serialises as the JSON
//! the board view's page reads.

use serde::Serialize;

use super::kind::BoardKind;
use super::pins::{Mode, Pull};

/// The board at one moment.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.set_adc("26", 1234);
/// let snapshot = board.snapshot();
/// assert_eq!(snapshot.adc[0].value, 1234);
/// assert!(serde_json::to_string(&snapshot).unwrap().contains("\"pico_w\""));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// The board file's kind (`pico_w`, `esp32`, `esp8266`).
    pub kind: &'static str,
    /// Every pin the script or the board file touched.
    pub pins: Vec<PinState>,
    /// The analog inputs declared or read.
    pub adc: Vec<AdcState>,
    /// The sensor quantities declared or read.
    pub sensors: Vec<SensorState>,
    /// The NeoPixel strips written.
    pub pixels: Vec<PixelsState>,
    /// The Wi-Fi station.
    pub wifi: WifiState,
}

/// One pin.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.set_input("15", 1);
/// let pin = &board.snapshot().pins[0];
/// assert_eq!((pin.id.as_str(), pin.label.as_str(), pin.level), ("15", "GP15", 1));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PinState {
    /// The canonical id, which the board's controls take (`15`, `LED`).
    pub id: String,
    /// The name on the board's pinout (`GP15`, `GPIO2`, `LED`).
    pub label: String,
    /// `in`, `out`, `open_drain`, `alt`; none until the script sets the pin up.
    pub mode: Option<&'static str>,
    /// `up`, `down` or `none`.
    pub pull: &'static str,
    /// What `value()` reads.
    pub level: u8,
    /// Whether the script asked for interrupts on it.
    pub irq: bool,
    /// Its PWM, when it is a PWM output.
    pub pwm: Option<PwmState>,
}

/// A PWM output's settings.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.pwm("16", 1000, 50);
/// let pwm = board.snapshot().pins[0].pwm.clone().unwrap();
/// assert_eq!((pwm.duty_u16, pwm.freq), (1000, 50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PwmState {
    /// The duty, 0..=65535.
    pub duty_u16: u16,
    /// The frequency in Hz.
    pub freq: u32,
}

/// One analog input.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.set_adc("27", 500);
/// let adc = &board.snapshot().adc[0];
/// assert_eq!((adc.id.as_str(), adc.value), ("27", 500));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AdcState {
    /// The canonical pin id (`26`).
    pub id: String,
    /// The name on the board's pinout (`GP26`).
    pub label: String,
    /// What the next `read_u16()` gives.
    pub value: u16,
}

/// One quantity of one sensor.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.set_sensor("dht:4", "humidity", 55.0);
/// let sensor = &board.snapshot().sensors[0];
/// assert_eq!((sensor.device.as_str(), sensor.quantity.as_str(), sensor.value), ("dht:4", "humidity", 55.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorState {
    /// The device as the board's controls name it: `dht:4`, `ds18x20:12`.
    pub device: String,
    /// The device in words: `dht on GP4`.
    pub label: String,
    /// `temperature`, `humidity`, ...
    pub quantity: String,
    /// What the next read gives.
    pub value: f64,
}

/// One NeoPixel strip.
///
/// ```
/// use pymqtt::board::Board;
///
/// let board = Board::default();
/// board.pixels("28", vec![(0, 255, 0)]);
/// assert_eq!(board.snapshot().pixels[0].colors, ["#00ff00"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PixelsState {
    /// The canonical id of its data pin.
    pub id: String,
    /// The name on the board's pinout.
    pub label: String,
    /// Each pixel as `#rrggbb`.
    pub colors: Vec<String>,
}

/// The Wi-Fi station.
///
/// ```
/// use pymqtt::board::Board;
///
/// let wifi = Board::default().snapshot().wifi;
/// assert!(!wifi.managed && !wifi.up);
/// assert_eq!(wifi.link, "idle");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WifiState {
    /// Whether the script made a `network.WLAN` (before that, its connections need no link).
    pub managed: bool,
    /// The station's link in words (`connected to home`, `connecting`, `idle`).
    pub link: String,
    /// Whether the link is up.
    pub up: bool,
}

pub(super) fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::In => "in",
        Mode::Out => "out",
        Mode::OpenDrain => "open_drain",
        Mode::Alt => "alt",
    }
}

pub(super) fn pull_name(pull: Pull) -> &'static str {
    match pull {
        Pull::None => "none",
        Pull::Up => "up",
        Pull::Down => "down",
    }
}

/// `dht:4` as `dht on GP4`.
pub(super) fn device_label(kind: &BoardKind, device: &str) -> String {
    match device.split_once(':') {
        Some((driver, pin)) => format!("{driver} on {}", kind.pin_label(pin)),
        None => device.to_string(),
    }
}
