//! The virtual board a board script runs on: its pins, analog inputs, sensors and Wi-Fi, as
//! `machine`, `network` and the sensor drivers see them, and as tests and people drive and
//! watch them. One [`Board`] belongs to one host.
//!
//! - [`hardware`]: what the pins, analog inputs, sensors and buses are wired to: the virtual
//!   board's state, or an application's [`Hardware`]
//! - [`kind`]: the boards there are (Pico W, ESP32, ESP8266): pin names, Wi-Fi status numbers
//! - [`file`](mod@file): board files (`board.toml`), what a board has at power-up
//! - [`pins`], [`wifi`], [`readings`], [`i2c`], [`spi`]: the pure state, which the caller gives the time
//! - [`control`]: a change from outside in words (`pin/14 0`), as `--board-mqtt` and the board
//!   view take them
//! - [`bridge`]: `--board-mqtt`, the board's outputs and inputs on an MQTT broker
//! - [`snapshot`]: the whole board at one moment, for a watcher that draws it
//!
//! The state is kept apart from where it is shown: a change the script makes is a
//! [`BoardEvent`] for whoever listens (`--board-trace`, a test), and a change from outside (a
//! test's `.wire` line) reaches the script through the interrupt sink its `machine` module
//! installed. Real parts (an embedding application's relays and meters, a Raspberry Pi's
//! GPIO character device) sit behind [`Hardware`]: see docs/embedding.md and docs/board.md.

pub mod bridge;
pub mod control;
pub mod file;
pub mod hardware;
pub mod i2c;
pub mod kind;
pub mod pins;
pub mod readings;
pub mod snapshot;
pub mod spi;
pub mod wifi;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use file::BoardConfig;
pub use hardware::Hardware;
pub use kind::BoardKind;
use pins::{Edge, Mode, Pins, Pull};
use readings::Readings;
use wifi::{Link, Network, Wifi};

/// Something the board did that a watcher may want to see.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use pymqtt::board::{Board, BoardEvent};
///
/// let board = Board::default();
/// let events = Arc::new(Mutex::new(Vec::new()));
/// let seen = Arc::clone(&events);
/// board.listen(move |event| seen.lock().unwrap().push(event.clone()));
/// board.pin_write("LED", 1);
/// assert_eq!(events.lock().unwrap()[0], BoardEvent::Output { pin: "LED".into(), level: 1 });
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum BoardEvent {
    /// An output pin changed level.
    Output {
        /// The pin's canonical id.
        pin: String,
        /// Its new level, 0 or 1.
        level: u8,
    },
    /// A PWM output's duty (0..=65535) or frequency changed.
    Pwm {
        /// The pin's canonical id.
        pin: String,
        /// The duty, 0..=65535.
        duty_u16: u16,
        /// The frequency in Hz.
        freq: u32,
    },
    /// A NeoPixel strip on `pin` was written.
    Pixels {
        /// The data pin's canonical id.
        pin: String,
        /// Each pixel's red, green and blue.
        colors: Vec<(u8, u8, u8)>,
    },
    /// An input changed level, from outside (a test, a person).
    Input {
        /// The pin's canonical id.
        pin: String,
        /// Its new level, 0 or 1.
        level: u8,
    },
    /// The Wi-Fi station's state, in words (`connected to home`, `dropped for 3s`).
    Wifi(String),
    /// The board resets (`machine.reset()`, the watchdog, waking from deep sleep).
    Reset(String),
}

impl std::fmt::Display for BoardEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoardEvent::Output { pin, level } => write!(f, "pin {pin} = {level}"),
            BoardEvent::Pwm {
                pin,
                duty_u16,
                freq,
            } => write!(f, "pin {pin} pwm duty_u16={duty_u16} freq={freq}"),
            BoardEvent::Pixels { pin, colors } => {
                write!(f, "neopixel {pin} = {}", hex_colors(colors))
            }
            BoardEvent::Input { pin, level } => write!(f, "input {pin} = {level}"),
            BoardEvent::Wifi(what) => write!(f, "wifi {what}"),
            BoardEvent::Reset(why) => write!(f, "reset ({why})"),
        }
    }
}

/// The MicroPython release a virtual board reports in `os.uname()`.
const MICROPYTHON_RELEASE: &str = "1.24.0";

type Listener = Box<dyn Fn(&BoardEvent) + Send + Sync>;
type LinkLost = Box<dyn Fn() + Send + Sync>;
/// Where input edges go: the script's `machine` module queues the pin's handler.
type IrqSink = Box<dyn Fn(&str, Edge) + Send + Sync>;

/// A sensor reading nobody declared: plausible indoor values.
fn default_reading(device: &str, quantity: &str) -> f64 {
    match (device.split(':').next().unwrap_or(""), quantity) {
        ("dht", "humidity") => 48.0,
        (_, "temperature") => 21.5,
        _ => 0.0,
    }
}

/// What `read_u16()` gives on an analog input nobody declared: mid-scale, except the RP2040's
/// temperature sensor (ADC 4), which reads about 27 °C.
fn default_adc(kind: &BoardKind, pin: &str) -> u16 {
    match (kind.name, pin) {
        ("pico_w", "4") => 14_020,
        _ => 32_768,
    }
}

#[derive(Debug)]
struct State {
    pins: Pins,
    adc: BTreeMap<String, Readings>,
    sensors: BTreeMap<String, BTreeMap<String, Readings>>,
    wifi: Wifi,
    i2c: i2c::Bus,
    spi: spi::Bus,
    /// Whether the script made a `network.WLAN`: from then on its MQTT connections need the
    /// link up, as on the board.
    wifi_used: bool,
    last_link: Link,
    /// Each NeoPixel strip's colours as last written.
    pixels: BTreeMap<String, Vec<(u8, u8, u8)>>,
}

/// The board of one host.
///
/// ```
/// use std::sync::Arc;
/// use pymqtt::board::Board;
/// use pymqtt::{ExitStatus, Host, Program};
///
/// let board = Arc::new(Board::default()); // a Pico W
/// board.set_adc("26", 30_000);
/// let host = Host::builder().board(Arc::clone(&board)).build();
/// let script = "from machine import ADC, Pin\nPin('LED', Pin.OUT).value(ADC(26).read_u16() > 20000)";
/// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
/// assert_eq!(board.pin_value("LED"), 1);
/// ```
pub struct Board {
    kind: &'static BoardKind,
    declared: bool,
    unique_id: Option<Vec<u8>>,
    state: Mutex<State>,
    listeners: Mutex<Vec<Listener>>,
    irq_sink: Mutex<Option<IrqSink>>,
    link_lost: Mutex<Option<LinkLost>>,
    /// The application's parts, when it has some; the virtual board answers the rest.
    hardware: Option<std::sync::Arc<dyn Hardware>>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board")
            .field("kind", &self.kind.name)
            .finish_non_exhaustive()
    }
}

impl Default for Board {
    fn default() -> Self {
        Board::new(BoardConfig::default())
    }
}

impl Board {
    /// The board `config` declares (a board file's, or the default Pico W), with nothing
    /// wired to it but its own state.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// let config = BoardConfig::parse("kind = \"esp32\"\n[pins]\n4 = 1\n").unwrap();
    /// let board = Board::new(config);
    /// assert_eq!(board.kind().name, "esp32");
    /// assert_eq!(board.pin_value("4"), 1);
    /// ```
    pub fn new(config: BoardConfig) -> Board {
        let mut pins = Pins::default();
        for (pin, level) in &config.pins {
            pins.set_input(pin, *level);
        }
        Board {
            kind: config.kind,
            declared: config.declared,
            unique_id: config.unique_id,
            state: Mutex::new(State {
                pins,
                adc: config.adc,
                sensors: config.sensors,
                wifi: Wifi::new(config.networks, config.connect_time),
                i2c: config.i2c,
                spi: config.spi,
                wifi_used: false,
                last_link: Link::Idle,
                pixels: BTreeMap::new(),
            }),
            listeners: Mutex::new(Vec::new()),
            irq_sink: Mutex::new(None),
            link_lost: Mutex::new(None),
            hardware: None,
        }
    }

    /// The board with the application's parts: what `hardware` implements reaches them
    /// (see [`hardware`]), the virtual board answers the rest.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// /// A meter that reads the same all day.
    /// struct Meter;
    /// impl Hardware for Meter {
    ///     fn adc_read_u16(&self, pin: &str) -> Option<u16> {
    ///         (pin == "26").then_some(12_345)
    ///     }
    /// }
    ///
    /// let board = Board::default().with_hardware(Arc::new(Meter));
    /// assert_eq!(board.adc_read_u16("26"), 12_345);
    /// assert_eq!(board.adc_read_u16("27"), 32_768); // the virtual board's own input, at mid-scale
    /// ```
    pub fn with_hardware(mut self, hardware: std::sync::Arc<dyn Hardware>) -> Board {
        self.hardware = Some(hardware);
        self
    }

    /// The kind of board it is.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// assert_eq!(Board::default().kind().name, "pico_w");
    /// ```
    pub fn kind(&self) -> &'static BoardKind {
        self.kind
    }

    /// `os.uname()`'s five fields on a board a board file declared; `None` on the default
    /// board, where scripts see this computer's.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// assert_eq!(Board::default().uname(), None);
    /// let esp32 = Board::new(BoardConfig::parse("kind = \"esp32\"").unwrap());
    /// assert_eq!(esp32.uname().unwrap()[0], "esp32");
    /// ```
    pub fn uname(&self) -> Option<[String; 5]> {
        let kind = self.kind;
        self.declared.then(|| {
            [
                kind.sysname.to_string(),
                kind.sysname.to_string(),
                MICROPYTHON_RELEASE.to_string(),
                format!("v{MICROPYTHON_RELEASE} (pymqtt's virtual {})", kind.name),
                kind.machine.to_string(),
            ]
        })
    }

    /// The id the board file gives, if any.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// let board = Board::new(BoardConfig::parse("unique_id = \"e6614c311b3f6b2a\"").unwrap());
    /// assert_eq!(board.unique_id().unwrap()[..2], [0xe6, 0x61]);
    /// ```
    pub fn unique_id(&self) -> Option<&[u8]> {
        self.unique_id.as_deref()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Calls `listener` with every event from now on.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.listen(|event| println!("board: {event}"));
    /// board.set_input("14", 1); // prints "board: ..."
    /// ```
    pub fn listen(&self, listener: impl Fn(&BoardEvent) + Send + Sync + 'static) {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(listener));
    }

    fn emit(&self, event: BoardEvent) {
        for listener in self
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            listener(&event);
        }
    }

    /// Where input edges on pins with interrupts go (the script's `machine` module).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::board::Board;
    /// use pymqtt::board::pins::{Edge, IRQ_RISING};
    ///
    /// let board = Board::default();
    /// let edges = Arc::new(Mutex::new(Vec::new()));
    /// let seen = Arc::clone(&edges);
    /// board.set_irq_sink(move |pin, edge| seen.lock().unwrap().push((pin.to_string(), edge)));
    /// board.pin_irq("14", IRQ_RISING);
    /// board.set_input("14", 1);
    /// assert_eq!(*edges.lock().unwrap(), [("14".to_string(), Edge::Rising)]);
    /// ```
    pub fn set_irq_sink(&self, sink: impl Fn(&str, Edge) + Send + Sync + 'static) {
        *self.irq_sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(sink));
    }

    /// Called when the Wi-Fi link is lost (the host fails its MQTT connections).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::Duration;
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// let lost = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&lost);
    /// board.on_link_lost(move || flag.store(true, Ordering::SeqCst));
    /// board.wifi_drop(Duration::from_secs(3));
    /// assert!(lost.load(Ordering::SeqCst));
    /// ```
    pub fn on_link_lost(&self, lost: impl Fn() + Send + Sync + 'static) {
        *self.link_lost.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(lost));
    }

    // Pins.

    /// `Pin(id, mode, pull, value=)`: what is not given stays as it was.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::pins::{Mode, Pull};
    ///
    /// let board = Board::default();
    /// board.pin_init("14", Some(Mode::In), Some(Pull::Up), None);
    /// assert_eq!(board.pin_value("14"), 1); // pulled up, nothing driving it
    /// ```
    pub fn pin_init(&self, id: &str, mode: Option<Mode>, pull: Option<Pull>, value: Option<u8>) {
        if let Some(hardware) = &self.hardware {
            hardware.pin_setup(id, mode, pull);
            if let Some(level) = value {
                hardware.pin_write(id, level.min(1));
            }
        }
        let changed = {
            let mut state = self.state();
            let pin = state.pins.entry(id);
            if let Some(mode) = mode {
                pin.mode = Some(mode);
            }
            if let Some(pull) = pull {
                pin.pull = pull;
            }
            match value {
                Some(level) => state.pins.set_output(id, level),
                None => false,
            }
        };
        // Only a change is an event: `Pin(n, Pin.OUT, value=0)` on a low pin changes nothing.
        if changed {
            self.emit(BoardEvent::Output {
                pin: id.into(),
                level: self.state().pins.get(id).output,
            });
        }
    }

    /// `value()`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::pins::Mode;
    ///
    /// let board = Board::default();
    /// board.pin_init("LED", Some(Mode::Out), None, Some(1));
    /// assert_eq!(board.pin_value("LED"), 1);
    /// ```
    pub fn pin_value(&self, id: &str) -> u8 {
        let pin = self.state().pins.get(id);
        // An output reads what it drives; an input what the application's part says.
        if pin.mode != Some(Mode::Out)
            && let Some(level) = self.hardware.as_ref().and_then(|h| h.pin_read(id))
        {
            return level.min(1);
        }
        pin.level()
    }

    /// `value(level)` and `on()`/`off()`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::pins::Mode;
    ///
    /// let board = Board::default();
    /// board.pin_init("5", Some(Mode::Out), None, None);
    /// board.pin_write("5", 1);
    /// assert_eq!(board.pin_levels(), [("5".to_string(), 1)]);
    /// ```
    pub fn pin_write(&self, id: &str, level: u8) {
        if let Some(hardware) = &self.hardware {
            hardware.pin_write(id, level.min(1));
        }
        let changed = {
            let mut state = self.state();
            let changed = state.pins.set_output(id, level);
            if changed && level == 0 {
                state.spi.selected(id);
            }
            changed
        };
        if changed {
            self.emit(BoardEvent::Output {
                pin: id.into(),
                level: level.min(1),
            });
        }
    }

    /// What the outside world puts on an input (a board file, a test, a person); an edge the
    /// pin wants an interrupt for goes to the script.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_input("15", 1); // the door contact closed
    /// assert_eq!(board.pin_value("15"), 1);
    /// ```
    pub fn set_input(&self, id: &str, level: u8) {
        let (edge, wants) = {
            let mut state = self.state();
            let edge = state.pins.set_input(id, level);
            (edge, state.pins.get(id).irq)
        };
        self.emit(BoardEvent::Input {
            pin: id.into(),
            level: level.min(1),
        });
        if let Some(edge) = edge.filter(|e| wants & e.bit() != 0)
            && let Some(sink) = self
                .irq_sink
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
        {
            sink(id, edge);
        }
    }

    /// `irq(trigger=...)`: the edges (`pins::IRQ_*` bits) `id` raises interrupts for.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::pins::{IRQ_FALLING, IRQ_RISING};
    ///
    /// let board = Board::default();
    /// board.pin_irq("14", IRQ_RISING | IRQ_FALLING); // both edges reach the irq sink
    /// ```
    pub fn pin_irq(&self, id: &str, triggers: u8) {
        self.state().pins.entry(id).irq = triggers;
    }

    /// `PWM(pin).duty_u16(d)` / `.freq(f)`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.pwm("16", 32_768, 1_000);
    /// let pin = board.snapshot().pins.into_iter().find(|p| p.id == "16").unwrap();
    /// assert_eq!(pin.pwm.map(|pwm| pwm.duty_u16), Some(32_768));
    /// ```
    pub fn pwm(&self, id: &str, duty_u16: u16, freq: u32) {
        if let Some(hardware) = &self.hardware {
            hardware.pwm(id, duty_u16, freq);
        }
        let changed = {
            let mut state = self.state();
            let pin = state.pins.entry(id);
            let changed = pin.pwm != Some((duty_u16, freq));
            pin.pwm = Some((duty_u16, freq));
            changed
        };
        if changed {
            self.emit(BoardEvent::Pwm {
                pin: id.into(),
                duty_u16,
                freq,
            });
        }
    }

    /// A NeoPixel strip's `write()`.
    ///
    /// ```
    /// use pymqtt::board::{Board, hex_colors};
    ///
    /// let board = Board::default();
    /// board.pixels("28", vec![(255, 0, 0), (0, 0, 16)]);
    /// let strip = &board.snapshot().pixels[0];
    /// assert_eq!(strip.colors, ["#ff0000", "#000010"]);
    /// assert_eq!(hex_colors(&[(255, 0, 0)]), "#ff0000");
    /// ```
    pub fn pixels(&self, id: &str, colors: Vec<(u8, u8, u8)>) {
        if let Some(hardware) = &self.hardware {
            hardware.pixels(id, &colors);
        }
        self.state().pixels.insert(id.into(), colors.clone());
        self.emit(BoardEvent::Pixels {
            pin: id.into(),
            colors,
        });
    }

    /// Every pin the script or the board file touched, with its level, for a watcher.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_input("14", 1);
    /// assert_eq!(board.pin_levels(), [("14".to_string(), 1)]);
    /// ```
    pub fn pin_levels(&self) -> Vec<(String, u8)> {
        self.state()
            .pins
            .iter()
            .map(|(id, pin)| (id.clone(), pin.level()))
            .collect()
    }

    // Analog inputs and sensors.

    /// `ADC(pin).read_u16()`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_adc("26", 40_000);
    /// assert_eq!(board.adc_read_u16("26"), 40_000);
    /// ```
    pub fn adc_read_u16(&self, id: &str) -> u16 {
        if let Some(value) = self.hardware.as_ref().and_then(|h| h.adc_read_u16(id)) {
            return value;
        }
        let mut state = self.state();
        // An input nobody declared reads its default from now on, and so a watcher sees it.
        let readings = state
            .adc
            .entry(id.into())
            .or_insert_with(|| Readings::constant(f64::from(default_adc(self.kind, id))));
        readings.take().clamp(0.0, 65_535.0) as u16
    }

    /// Sets what an analog input reads from now on.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_adc("27", 1_000);
    /// assert_eq!(board.adc_read_u16("27"), 1_000);
    /// ```
    pub fn set_adc(&self, id: &str, value: u16) {
        self.state()
            .adc
            .insert(id.into(), Readings::constant(f64::from(value)));
    }

    /// A reading of `quantity` from `device` (`dht:4`, `ds18x20:12`).
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_sensor("dht:4", "temperature", 23.5);
    /// assert_eq!(board.sensor("dht:4", "temperature"), 23.5);
    /// ```
    pub fn sensor(&self, device: &str, quantity: &str) -> f64 {
        if let Some(value) = self
            .hardware
            .as_ref()
            .and_then(|h| h.sensor(device, quantity))
        {
            return value;
        }
        let mut state = self.state();
        state
            .sensors
            .entry(device.into())
            .or_default()
            .entry(quantity.into())
            .or_insert_with(|| Readings::constant(default_reading(device, quantity)))
            .take()
    }

    /// Sets what `device` reads for `quantity` from now on.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::Board;
    /// use pymqtt::{ExitStatus, Host, Program};
    ///
    /// let board = Arc::new(Board::default());
    /// board.set_sensor("dht:4", "humidity", 61.0);
    /// let host = Host::builder().board(board).build();
    /// let script = "import dht, machine\n\
    ///               d = dht.DHT22(machine.Pin(4))\n\
    ///               d.measure()\n\
    ///               assert d.humidity() == 61.0";
    /// assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
    /// ```
    pub fn set_sensor(&self, device: &str, quantity: &str, value: f64) {
        self.state()
            .sensors
            .entry(device.into())
            .or_default()
            .insert(quantity.into(), Readings::constant(value));
    }

    // The I2C bus.

    /// `I2C.scan()`: the addresses that answer.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// let board = Board::new(BoardConfig::parse("[[i2c]]\naddress = 0x76\nregisters = [[0xD0, 0x60]]").unwrap());
    /// assert_eq!(board.i2c_scan(), [0x76]);
    /// ```
    pub fn i2c_scan(&self) -> Vec<u8> {
        if let Some(found) = self.hardware.as_ref().and_then(|h| h.i2c_scan()) {
            return found;
        }
        self.state().i2c.scan()
    }

    /// A write to the device at `address` (its first byte sets the register pointer on the
    /// virtual bus).
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// assert!(board.i2c_write(0x76, &[0xd0]).is_err()); // nobody at 0x76: a NACK
    /// ```
    pub fn i2c_write(&self, address: u8, data: &[u8]) -> Result<(), i2c::Nack> {
        if let Some(done) = self
            .hardware
            .as_ref()
            .and_then(|h| h.i2c_write(address, data))
        {
            return done;
        }
        self.state().i2c.write(address, data)
    }

    /// A read of `n` bytes from the device at `address`.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// let board = Board::new(BoardConfig::parse("[[i2c]]\naddress = 0x76\nregisters = [[0xD0, 0x60]]").unwrap());
    /// board.i2c_write(0x76, &[0xd0]).unwrap();
    /// assert_eq!(board.i2c_read(0x76, 1).unwrap(), [0x60]);
    /// ```
    pub fn i2c_read(&self, address: u8, n: usize) -> Result<Vec<u8>, i2c::Nack> {
        if let Some(read) = self.hardware.as_ref().and_then(|h| h.i2c_read(address, n)) {
            return read;
        }
        self.state().i2c.read(address, n)
    }

    // The SPI bus.

    /// One SPI transfer with the device whose chip select is low.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// assert_eq!(board.spi_transfer(&[0x9f, 0, 0]).len(), 3); // one byte back for each written
    /// ```
    pub fn spi_transfer(&self, write: &[u8]) -> Vec<u8> {
        if let Some(read) = self.hardware.as_ref().and_then(|h| h.spi_transfer(write)) {
            return read;
        }
        let mut state = self.state();
        let State { pins, spi, .. } = &mut *state;
        spi.transfer(write, |cs| pins.get(cs).level() == 0)
    }

    // Wi-Fi.

    /// A `network.WLAN` was made: the script manages its own Wi-Fi.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// assert!(board.network_reachable()); // a script that never made a WLAN is online
    /// board.wifi_used();
    /// assert!(!board.network_reachable()); // now it must join first
    /// ```
    pub fn wifi_used(&self) {
        self.state().wifi_used = true;
    }

    /// `WLAN.active()`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_wifi_active(true);
    /// assert!(board.wifi_active());
    /// ```
    pub fn wifi_active(&self) -> bool {
        self.state().wifi.active()
    }

    /// `WLAN.active(flag)`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_wifi_active(false);
    /// assert!(!board.wifi_active());
    /// ```
    pub fn set_wifi_active(&self, active: bool) {
        self.state().wifi.set_active(active);
        self.wifi_changed();
    }

    /// `WLAN.connect(ssid, key)`: joining starts, and takes the board's connect time.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::wifi::Link;
    ///
    /// let board = Board::default();
    /// board.set_wifi_active(true);
    /// board.wifi_connect("home", Some("secret"));
    /// assert_eq!(board.wifi_link(), Link::Connecting); // for the board's connect time
    /// ```
    pub fn wifi_connect(&self, ssid: &str, password: Option<&str>) {
        self.state().wifi.connect(ssid, password, Instant::now());
        self.emit(BoardEvent::Wifi(format!("joining {ssid}")));
    }

    /// `WLAN.disconnect()`.
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::wifi::Link;
    ///
    /// let board = Board::default();
    /// board.wifi_connect("home", None);
    /// board.wifi_disconnect();
    /// assert_eq!(board.wifi_link(), Link::Idle);
    /// ```
    pub fn wifi_disconnect(&self) {
        self.state().wifi.disconnect();
        self.wifi_changed();
    }

    /// The station's link now (reporting a change to the watchers).
    ///
    /// ```
    /// use pymqtt::board::Board;
    /// use pymqtt::board::wifi::Link;
    ///
    /// assert_eq!(Board::default().wifi_link(), Link::Idle);
    /// ```
    pub fn wifi_link(&self) -> Link {
        self.wifi_changed()
    }

    /// The network the station joined, while its link is up.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// assert!(Board::default().wifi_joined().is_none()); // not joined yet
    /// ```
    pub fn wifi_joined(&self) -> Option<Network> {
        if !matches!(self.wifi_changed(), Link::Up { .. }) {
            return None;
        }
        self.state().wifi.joined(Instant::now())
    }

    /// `WLAN.scan()`: the networks in reach now.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardConfig};
    ///
    /// let config = BoardConfig::parse("[wifi]\nnetworks = [{ ssid = \"home\", rssi = -55 }]").unwrap();
    /// let found = Board::new(config).wifi_scan();
    /// assert_eq!((found[0].ssid.as_str(), found[0].rssi), ("home", -55));
    /// ```
    pub fn wifi_scan(&self) -> Vec<Network> {
        self.state().wifi.visible(Instant::now()).to_vec()
    }

    /// Takes the network away for `duration` (then the station joins again).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.listen(|event| assert_eq!(event.to_string(), "wifi dropped for 2s"));
    /// board.wifi_drop(Duration::from_secs(2));
    /// ```
    pub fn wifi_drop(&self, duration: Duration) {
        self.state().wifi.drop_for(duration, Instant::now());
        self.emit(BoardEvent::Wifi(format!(
            "dropped for {}",
            humantime(duration)
        )));
        if let Some(lost) = self
            .link_lost
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            lost();
        }
        self.wifi_changed();
    }

    /// Whether the script's network connections can reach anything: always, until the script
    /// manages Wi-Fi; then only while the link is up.
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// assert!(Board::default().network_reachable());
    /// ```
    pub fn network_reachable(&self) -> bool {
        let used = self.state().wifi_used;
        (!used && !self.network_down()) || matches!(self.wifi_link(), Link::Up { .. })
    }

    /// Reports the link when it changed since last looked at.
    fn wifi_changed(&self) -> Link {
        let network_down = self.network_down();
        let (link, changed) = {
            let mut state = self.state();
            let link = match state.wifi.link(Instant::now()) {
                // The application's network is down: the station is looking for it.
                Link::Up { .. } if network_down => Link::Connecting,
                link => link,
            };
            let changed = link != state.last_link;
            state.last_link = link.clone();
            (link, changed)
        };
        if changed {
            self.emit(BoardEvent::Wifi(link_words(&link)));
        }
        link
    }

    /// Whether the application's [`Hardware`] says its network is down.
    fn network_down(&self) -> bool {
        self.hardware
            .as_ref()
            .is_some_and(|h| h.network_up() == Some(false))
    }

    /// The whole board now, for a watcher that draws it (the board view).
    ///
    /// ```
    /// use pymqtt::board::Board;
    ///
    /// let board = Board::default();
    /// board.set_input("14", 1);
    /// let now = board.snapshot();
    /// assert_eq!(now.kind, "pico_w");
    /// assert!(now.pins.iter().any(|p| p.id == "14" && p.level == 1));
    /// ```
    pub fn snapshot(&self) -> snapshot::Snapshot {
        let kind = self.kind;
        let network_down = self.network_down();
        let mut state = self.state();
        let link = match state.wifi.link(Instant::now()) {
            Link::Up { .. } if network_down => Link::Connecting,
            link => link,
        };
        let state = &mut *state;
        snapshot::Snapshot {
            kind: kind.name,
            pins: state
                .pins
                .iter()
                .map(|(id, pin)| snapshot::PinState {
                    id: id.clone(),
                    label: kind.pin_label(id),
                    mode: pin.mode.map(snapshot::mode_name),
                    pull: snapshot::pull_name(pin.pull),
                    level: pin.level(),
                    irq: pin.irq != 0,
                    pwm: pin
                        .pwm
                        .map(|(duty_u16, freq)| snapshot::PwmState { duty_u16, freq }),
                })
                .collect(),
            adc: state
                .adc
                .iter()
                .map(|(id, readings)| snapshot::AdcState {
                    id: id.clone(),
                    label: kind.pin_label(id),
                    value: readings.peek().clamp(0.0, 65_535.0) as u16,
                })
                .collect(),
            sensors: state
                .sensors
                .iter()
                .flat_map(|(device, quantities)| {
                    quantities
                        .iter()
                        .map(|(quantity, readings)| snapshot::SensorState {
                            device: device.clone(),
                            label: snapshot::device_label(kind, device),
                            quantity: quantity.clone(),
                            value: readings.peek(),
                        })
                })
                .collect(),
            pixels: state
                .pixels
                .iter()
                .map(|(id, colors)| snapshot::PixelsState {
                    id: id.clone(),
                    label: kind.pin_label(id),
                    colors: colors.iter().map(|&c| hex_colors(&[c])).collect(),
                })
                .collect(),
            wifi: snapshot::WifiState {
                managed: state.wifi_used,
                link: link_words(&link),
                up: matches!(link, Link::Up { .. }),
            },
        }
    }

    /// The board resets: tells the watchers why.
    ///
    /// ```
    /// use pymqtt::board::{Board, BoardEvent};
    ///
    /// let board = Board::default();
    /// board.listen(|event| assert_eq!(*event, BoardEvent::Reset("watchdog".into())));
    /// board.reset("watchdog");
    /// ```
    pub fn reset(&self, why: &str) {
        self.emit(BoardEvent::Reset(why.into()));
    }
}

/// The Wi-Fi link in words, as trace lines and the board view say it.
fn link_words(link: &Link) -> String {
    match link {
        Link::Idle => "idle".to_string(),
        Link::Connecting => "connecting".to_string(),
        Link::Up { ssid } => format!("connected to {ssid}"),
        Link::WrongPassword => "wrong password".to_string(),
        Link::NoApFound => "no such network".to_string(),
    }
}

/// A strip's colours as `#rrggbb` words, for a trace line or a bridge payload.
///
/// ```
/// assert_eq!(pymqtt::board::hex_colors(&[(255, 128, 0), (0, 0, 0)]), "#ff8000 #000000");
/// ```
pub fn hex_colors(colors: &[(u8, u8, u8)]) -> String {
    let words: Vec<String> = colors
        .iter()
        .map(|(r, g, b)| format!("#{r:02x}{g:02x}{b:02x}"))
        .collect();
    words.join(" ")
}

/// `3s`, `1.5s`, `250ms`.
fn humantime(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn outputs_are_reported_and_input_edges_reach_the_irq_sink() {
        let board = Board::default();
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&events);
        board.listen(move |e| seen.lock().unwrap().push(e.to_string()));
        let edges = Arc::new(Mutex::new(Vec::new()));
        let got = Arc::clone(&edges);
        board.set_irq_sink(move |pin, edge| got.lock().unwrap().push((pin.to_string(), edge)));

        board.pin_init("LED", Some(Mode::Out), None, None);
        board.pin_write("LED", 1);
        board.pin_write("LED", 1);
        board.pin_init("14", Some(Mode::In), Some(Pull::Up), None);
        board.pin_irq("14", pins::IRQ_FALLING);
        board.set_input("14", 0);
        board.set_input("14", 1);
        assert_eq!(board.pin_value("14"), 1);
        assert_eq!(
            *events.lock().unwrap(),
            ["pin LED = 1", "input 14 = 0", "input 14 = 1"]
        );
        assert_eq!(*edges.lock().unwrap(), [("14".to_string(), Edge::Falling)]);
    }

    #[test]
    fn connections_need_the_link_once_the_script_manages_wifi() {
        let board = Board::default();
        assert!(board.network_reachable());
        board.wifi_used();
        assert!(!board.network_reachable());
        board.state().wifi.connect_time = Duration::ZERO;
        board.wifi_connect("any", Some("pw"));
        assert!(board.network_reachable());
        board.wifi_drop(Duration::from_secs(60));
        assert!(!board.network_reachable());
    }
}
