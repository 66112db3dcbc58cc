//! What a board's pins, analog inputs, sensors and buses are wired to. The virtual board
//! answers from its own state (its board file, a test's `.wire` lines, a person's clicks);
//! an application that has real parts gives the board a [`Hardware`] of its own
//! ([`Board::with_hardware`](super::Board::with_hardware)), and what that implements reaches
//! its drivers: a gateway maps `Pin(5)` to its relay, `ADC(26)` to its meter.
//!
//! Every method has a default, which leaves the part to the virtual board: an implementation
//! writes only the methods for the parts it has. A read that returns `None` is answered by
//! the virtual board too. The board still keeps and reports everything (its events,
//! `--board-trace`, the board view), whoever answers.
//!
//! An input that changes on the application's side (a door contact) is reported with
//! [`Board::set_input`](super::Board::set_input), which also fires the script's interrupt.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use pymqtt::board::{Board, BoardConfig, Hardware};
//! use pymqtt::{ExitStatus, Host, Program};
//!
//! /// The gateway's relay on pin 5, and its mains meter as ADC 26.
//! #[derive(Default)]
//! struct Gateway {
//!     relay: Mutex<u8>,
//! }
//!
//! impl Hardware for Gateway {
//!     fn pin_write(&self, pin: &str, level: u8) {
//!         if pin == "5" {
//!             *self.relay.lock().unwrap() = level;
//!         }
//!     }
//!     fn adc_read_u16(&self, pin: &str) -> Option<u16> {
//!         (pin == "26").then_some(41_000)
//!     }
//! }
//!
//! let gateway = Arc::new(Gateway::default());
//! let board = Board::new(BoardConfig::default()).with_hardware(gateway.clone());
//! let host = Host::builder().board(Arc::new(board)).build();
//! let script = "from machine import Pin, ADC\n\
//!               assert ADC(26).read_u16() == 41000\n\
//!               Pin(5, Pin.OUT).value(1)";
//! assert_eq!(host.run(&Program::Source(script.into())), ExitStatus::SUCCESS);
//! assert_eq!(*gateway.relay.lock().unwrap(), 1);
//! ```

use super::i2c::Nack;
use super::pins::{Mode, Pull};

/// The parts of a board an application provides; see the module's text.
///
/// ```
/// use std::sync::Arc;
/// use pymqtt::board::{Board, Hardware};
///
/// /// A gateway with nothing of its own yet: the virtual board answers everything.
/// struct Nothing;
/// impl Hardware for Nothing {}
///
/// let board = Board::default().with_hardware(Arc::new(Nothing));
/// board.set_adc("26", 7);
/// assert_eq!(board.adc_read_u16("26"), 7);
/// ```
pub trait Hardware: Send + Sync {
    /// The script set pin `pin` (its canonical id: `"5"`, `"LED"`) up: `Pin(id, mode, pull)`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::board::{Board, Hardware};
    /// use pymqtt::board::pins::{Mode, Pull};
    ///
    /// #[derive(Default)]
    /// struct Pins(Mutex<Vec<(String, Option<Mode>)>>);
    /// impl Hardware for Pins {
    ///     fn pin_setup(&self, pin: &str, mode: Option<Mode>, _pull: Option<Pull>) {
    ///         self.0.lock().unwrap().push((pin.to_string(), mode));
    ///     }
    /// }
    /// let pins = Arc::new(Pins::default());
    /// Board::default().with_hardware(pins.clone()).pin_init("5", Some(Mode::Out), None, None);
    /// assert_eq!(*pins.0.lock().unwrap(), [("5".to_string(), Some(Mode::Out))]);
    /// ```
    fn pin_setup(&self, pin: &str, mode: Option<Mode>, pull: Option<Pull>) {
        let _ = (pin, mode, pull);
    }

    /// The script drives an output to `level` (0 or 1), by `value()`, `on()`/`off()` or
    /// `Pin(..., value=)`.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// #[derive(Default)]
    /// struct Relay(Mutex<u8>);
    /// impl Hardware for Relay {
    ///     fn pin_write(&self, pin: &str, level: u8) {
    ///         if pin == "5" {
    ///             *self.0.lock().unwrap() = level;
    ///         }
    ///     }
    /// }
    /// let relay = Arc::new(Relay::default());
    /// Board::default().with_hardware(relay.clone()).pin_write("5", 1);
    /// assert_eq!(*relay.0.lock().unwrap(), 1);
    /// ```
    fn pin_write(&self, pin: &str, level: u8) {
        let _ = (pin, level);
    }

    /// What `value()` reads on `pin`; `None`: what the virtual board says.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct DoorClosed;
    /// impl Hardware for DoorClosed {
    ///     fn pin_read(&self, pin: &str) -> Option<u8> {
    ///         (pin == "15").then_some(1)
    ///     }
    /// }
    /// let board = Board::default().with_hardware(Arc::new(DoorClosed));
    /// assert_eq!(board.pin_value("15"), 1);
    /// assert_eq!(board.pin_value("14"), 0);
    /// ```
    fn pin_read(&self, pin: &str) -> Option<u8> {
        let _ = pin;
        None
    }

    /// A PWM output's duty (0..=65535) and frequency.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// #[derive(Default)]
    /// struct Dimmer(Mutex<u16>);
    /// impl Hardware for Dimmer {
    ///     fn pwm(&self, _pin: &str, duty_u16: u16, _freq: u32) {
    ///         *self.0.lock().unwrap() = duty_u16;
    ///     }
    /// }
    /// let dimmer = Arc::new(Dimmer::default());
    /// Board::default().with_hardware(dimmer.clone()).pwm("16", 30_000, 1_000);
    /// assert_eq!(*dimmer.0.lock().unwrap(), 30_000);
    /// ```
    fn pwm(&self, pin: &str, duty_u16: u16, freq: u32) {
        let _ = (pin, duty_u16, freq);
    }

    /// A NeoPixel strip on `pin` was written.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// #[derive(Default)]
    /// struct Strip(Mutex<Vec<(u8, u8, u8)>>);
    /// impl Hardware for Strip {
    ///     fn pixels(&self, _pin: &str, colors: &[(u8, u8, u8)]) {
    ///         *self.0.lock().unwrap() = colors.to_vec();
    ///     }
    /// }
    /// let strip = Arc::new(Strip::default());
    /// Board::default().with_hardware(strip.clone()).pixels("28", vec![(255, 0, 0)]);
    /// assert_eq!(*strip.0.lock().unwrap(), [(255, 0, 0)]);
    /// ```
    fn pixels(&self, pin: &str, colors: &[(u8, u8, u8)]) {
        let _ = (pin, colors);
    }

    /// What `ADC(pin).read_u16()` gives; `None`: the virtual board's reading.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct Meter;
    /// impl Hardware for Meter {
    ///     fn adc_read_u16(&self, pin: &str) -> Option<u16> {
    ///         (pin == "26").then_some(41_000)
    ///     }
    /// }
    /// assert_eq!(Board::default().with_hardware(Arc::new(Meter)).adc_read_u16("26"), 41_000);
    /// ```
    fn adc_read_u16(&self, pin: &str) -> Option<u16> {
        let _ = pin;
        None
    }

    /// A reading of `quantity` (`temperature`, `humidity`) from `device` (`dht:4`,
    /// `ds18x20:12`); `None`: the virtual board's.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct Thermometer;
    /// impl Hardware for Thermometer {
    ///     fn sensor(&self, device: &str, quantity: &str) -> Option<f64> {
    ///         (device == "ds18x20:12" && quantity == "temperature").then_some(4.5)
    ///     }
    /// }
    /// let board = Board::default().with_hardware(Arc::new(Thermometer));
    /// assert_eq!(board.sensor("ds18x20:12", "temperature"), 4.5);
    /// ```
    fn sensor(&self, device: &str, quantity: &str) -> Option<f64> {
        let _ = (device, quantity);
        None
    }

    /// The I2C addresses that answer; `None`: the virtual bus's devices.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct OneDevice;
    /// impl Hardware for OneDevice {
    ///     fn i2c_scan(&self) -> Option<Vec<u8>> {
    ///         Some(vec![0x40])
    ///     }
    /// }
    /// assert_eq!(Board::default().with_hardware(Arc::new(OneDevice)).i2c_scan(), [0x40]);
    /// ```
    fn i2c_scan(&self) -> Option<Vec<u8>> {
        None
    }

    /// An I2C write to `address`; `None`: the virtual bus takes it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    /// use pymqtt::board::i2c::Nack;
    ///
    /// struct Absent;
    /// impl Hardware for Absent {
    ///     fn i2c_write(&self, _address: u8, _data: &[u8]) -> Option<Result<(), Nack>> {
    ///         Some(Err(Nack))
    ///     }
    /// }
    /// assert_eq!(Board::default().with_hardware(Arc::new(Absent)).i2c_write(0x40, &[0]), Err(Nack));
    /// ```
    fn i2c_write(&self, address: u8, data: &[u8]) -> Option<Result<(), Nack>> {
        let _ = (address, data);
        None
    }

    /// An I2C read of `n` bytes from `address`; `None`: the virtual bus answers.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    /// use pymqtt::board::i2c::Nack;
    ///
    /// struct Humidity;
    /// impl Hardware for Humidity {
    ///     fn i2c_read(&self, address: u8, n: usize) -> Option<Result<Vec<u8>, Nack>> {
    ///         (address == 0x40).then(|| Ok(vec![0x66; n]))
    ///     }
    /// }
    /// assert_eq!(Board::default().with_hardware(Arc::new(Humidity)).i2c_read(0x40, 2), Ok(vec![0x66, 0x66]));
    /// ```
    fn i2c_read(&self, address: u8, n: usize) -> Option<Result<Vec<u8>, Nack>> {
        let _ = (address, n);
        None
    }

    /// One SPI transfer (the chip select is whichever pin the script drove low, which
    /// [`pin_write`](Self::pin_write) saw); `None`: the virtual bus answers.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct Echo;
    /// impl Hardware for Echo {
    ///     fn spi_transfer(&self, write: &[u8]) -> Option<Vec<u8>> {
    ///         Some(write.to_vec())
    ///     }
    /// }
    /// assert_eq!(Board::default().with_hardware(Arc::new(Echo)).spi_transfer(&[1, 2]), [1, 2]);
    /// ```
    fn spi_transfer(&self, write: &[u8]) -> Option<Vec<u8>> {
        let _ = write;
        None
    }

    /// Whether the application's own network is up. `Some(false)` is the board's Wi-Fi
    /// link down: `isconnected()` is false and `connect()` cannot reach a broker, until it
    /// is `Some(true)` or `None` (the virtual station) again. It is asked whenever the
    /// script looks at its link; to cut the script's open connections at once, as a lost
    /// link does, call [`Board::wifi_drop`](super::Board::wifi_drop) too.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pymqtt::board::{Board, Hardware};
    ///
    /// struct Offline;
    /// impl Hardware for Offline {
    ///     fn network_up(&self) -> Option<bool> {
    ///         Some(false)
    ///     }
    /// }
    /// assert!(!Board::default().with_hardware(Arc::new(Offline)).network_reachable());
    /// ```
    fn network_up(&self) -> Option<bool> {
        None
    }
}
