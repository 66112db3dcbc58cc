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
pub trait Hardware: Send + Sync {
    /// The script set pin `pin` (its canonical id: `"5"`, `"LED"`) up: `Pin(id, mode, pull)`.
    fn pin_setup(&self, pin: &str, mode: Option<Mode>, pull: Option<Pull>) {
        let _ = (pin, mode, pull);
    }

    /// The script drives an output to `level` (0 or 1), by `value()`, `on()`/`off()` or
    /// `Pin(..., value=)`.
    fn pin_write(&self, pin: &str, level: u8) {
        let _ = (pin, level);
    }

    /// What `value()` reads on `pin`; `None`: what the virtual board says.
    fn pin_read(&self, pin: &str) -> Option<u8> {
        let _ = pin;
        None
    }

    /// A PWM output's duty (0..=65535) and frequency.
    fn pwm(&self, pin: &str, duty_u16: u16, freq: u32) {
        let _ = (pin, duty_u16, freq);
    }

    /// A NeoPixel strip on `pin` was written.
    fn pixels(&self, pin: &str, colors: &[(u8, u8, u8)]) {
        let _ = (pin, colors);
    }

    /// What `ADC(pin).read_u16()` gives; `None`: the virtual board's reading.
    fn adc_read_u16(&self, pin: &str) -> Option<u16> {
        let _ = pin;
        None
    }

    /// A reading of `quantity` (`temperature`, `humidity`) from `device` (`dht:4`,
    /// `ds18x20:12`); `None`: the virtual board's.
    fn sensor(&self, device: &str, quantity: &str) -> Option<f64> {
        let _ = (device, quantity);
        None
    }

    /// The I2C addresses that answer; `None`: the virtual bus's devices.
    fn i2c_scan(&self) -> Option<Vec<u8>> {
        None
    }

    /// An I2C write to `address`; `None`: the virtual bus takes it.
    fn i2c_write(&self, address: u8, data: &[u8]) -> Option<Result<(), Nack>> {
        let _ = (address, data);
        None
    }

    /// An I2C read of `n` bytes from `address`; `None`: the virtual bus answers.
    fn i2c_read(&self, address: u8, n: usize) -> Option<Result<Vec<u8>, Nack>> {
        let _ = (address, n);
        None
    }

    /// One SPI transfer (the chip select is whichever pin the script drove low, which
    /// [`pin_write`](Self::pin_write) saw); `None`: the virtual bus answers.
    fn spi_transfer(&self, write: &[u8]) -> Option<Vec<u8>> {
        let _ = write;
        None
    }

    /// Whether the application's own network is up. `Some(false)` is the board's Wi-Fi
    /// link down: `isconnected()` is false and `connect()` cannot reach a broker, until it
    /// is `Some(true)` or `None` (the virtual station) again. It is asked whenever the
    /// script looks at its link; to cut the script's open connections at once, as a lost
    /// link does, call [`Board::wifi_drop`](super::Board::wifi_drop) too.
    fn network_up(&self) -> Option<bool> {
        None
    }
}
