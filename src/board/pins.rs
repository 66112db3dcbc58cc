//! The board's pins: how the script set each one up, the level it drives or reads, its PWM,
//! and which edges it wants interrupts for. Pure state; the board around it reports changes.

use std::collections::BTreeMap;

/// `Pin.IN`, `Pin.OUT`, ... with the numbers of MicroPython's rp2 port.
///
/// ```
/// use pymqtt::board::pins::Mode;
///
/// assert_eq!(Mode::Out as i64, 1); // Pin.OUT
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `Pin.IN`.
    In = 0,
    /// `Pin.OUT`.
    Out = 1,
    /// `Pin.OPEN_DRAIN`.
    OpenDrain = 2,
    /// `Pin.ALT`, a pin another peripheral (a bus, PWM) drives.
    Alt = 3,
}

impl Mode {
    /// The mode MicroPython's number `n` stands for.
    ///
    /// ```
    /// use pymqtt::board::pins::Mode;
    ///
    /// assert_eq!(Mode::from_int(2), Some(Mode::OpenDrain));
    /// assert_eq!(Mode::from_int(9), None);
    /// ```
    pub fn from_int(n: i64) -> Option<Mode> {
        Some(match n {
            0 => Mode::In,
            1 => Mode::Out,
            2 => Mode::OpenDrain,
            3 => Mode::Alt,
            _ => return None,
        })
    }
}

/// `Pin.PULL_UP`, `Pin.PULL_DOWN`.
///
/// ```
/// use pymqtt::board::pins::Pull;
///
/// assert_eq!(Pull::default(), Pull::None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pull {
    /// No pull: an input nobody drives reads 0.
    #[default]
    None = 0,
    /// `Pin.PULL_UP`: an input nobody drives reads 1.
    Up = 1,
    /// `Pin.PULL_DOWN`.
    Down = 2,
}

impl Pull {
    /// The pull MicroPython's number `n` stands for.
    ///
    /// ```
    /// use pymqtt::board::pins::Pull;
    ///
    /// assert_eq!(Pull::from_int(1), Some(Pull::Up));
    /// ```
    pub fn from_int(n: i64) -> Option<Pull> {
        Some(match n {
            0 => Pull::None,
            1 => Pull::Up,
            2 => Pull::Down,
            _ => return None,
        })
    }
}

/// `Pin.IRQ_FALLING` and `Pin.IRQ_RISING`, as bits.
///
/// ```
/// use pymqtt::board::pins::{Edge, IRQ_FALLING};
///
/// assert_eq!(Edge::Falling.bit(), IRQ_FALLING);
/// ```
pub const IRQ_FALLING: u8 = 4;
/// `Pin.IRQ_RISING`, as a bit.
///
/// ```
/// use pymqtt::board::pins::{Edge, IRQ_RISING};
///
/// assert_eq!(Edge::Rising.bit(), IRQ_RISING);
/// ```
pub const IRQ_RISING: u8 = 8;

/// One pin as the script set it up and as the outside drives it.
///
/// ```
/// use pymqtt::board::pins::{Mode, Pin, Pull};
///
/// let button = Pin { mode: Some(Mode::In), pull: Pull::Up, ..Pin::default() };
/// assert_eq!(button.level(), 1); // pulled up, not pressed
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pin {
    /// How the script set it up; none until it did.
    pub mode: Option<Mode>,
    /// Its pull resistor.
    pub pull: Pull,
    /// What the pin drives when it is an output.
    pub output: u8,
    /// What the outside world puts on it (the board file, a test, a person); `None` is left
    /// floating, which reads as its pull (up: 1, otherwise 0).
    pub input: Option<u8>,
    /// The edges (`IRQ_*` bits) the script asked interrupts for.
    pub irq: u8,
    /// PWM duty (0..=65535) and frequency, when the pin is a PWM output.
    pub pwm: Option<(u16, u32)>,
}

impl Pin {
    /// What `value()` reads.
    ///
    /// ```
    /// use pymqtt::board::pins::{Mode, Pin};
    ///
    /// let led = Pin { mode: Some(Mode::Out), output: 1, input: Some(0), ..Pin::default() };
    /// assert_eq!(led.level(), 1); // an output reads what it drives
    /// ```
    pub fn level(&self) -> u8 {
        match self.mode {
            Some(Mode::Out) => self.output,
            // An open-drain pin reads low when it drives low, else what the line is.
            Some(Mode::OpenDrain) if self.output == 0 => 0,
            _ => self.input.unwrap_or(u8::from(self.pull == Pull::Up)),
        }
    }
}

/// An edge an input saw.
///
/// ```
/// use pymqtt::board::pins::{Edge, Pins};
///
/// let mut pins = Pins::default();
/// assert_eq!(pins.set_input("14", 1), Some(Edge::Rising));
/// assert_eq!(pins.set_input("14", 0), Some(Edge::Falling));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// From 0 to 1.
    Rising,
    /// From 1 to 0.
    Falling,
}

impl Edge {
    /// The edge's `IRQ_*` bit.
    ///
    /// ```
    /// use pymqtt::board::pins::{Edge, IRQ_RISING};
    ///
    /// assert_eq!(Edge::Rising.bit(), IRQ_RISING);
    /// ```
    pub fn bit(self) -> u8 {
        match self {
            Edge::Rising => IRQ_RISING,
            Edge::Falling => IRQ_FALLING,
        }
    }
}

/// Every pin the script or the board file touched, by canonical id.
///
/// ```
/// use pymqtt::board::pins::Pins;
///
/// let mut pins = Pins::default();
/// pins.set_output("5", 1);
/// assert_eq!(pins.get("5").output, 1);
/// assert_eq!(pins.iter().count(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Pins {
    pins: BTreeMap<String, Pin>,
}

impl Pins {
    /// The pin `id` (a default one when nothing touched it).
    ///
    /// ```
    /// use pymqtt::board::pins::{Pin, Pins};
    ///
    /// assert_eq!(Pins::default().get("3"), Pin::default()); // untouched: a default pin
    /// ```
    pub fn get(&self, id: &str) -> Pin {
        self.pins.get(id).cloned().unwrap_or_default()
    }

    /// The pin `id`, to change, made when nothing touched it yet.
    ///
    /// ```
    /// use pymqtt::board::pins::{IRQ_RISING, Pins};
    ///
    /// let mut pins = Pins::default();
    /// pins.entry("14").irq = IRQ_RISING;
    /// assert_eq!(pins.get("14").irq, IRQ_RISING);
    /// ```
    pub fn entry(&mut self, id: &str) -> &mut Pin {
        self.pins.entry(id.to_string()).or_default()
    }

    /// Sets what the outside puts on `id`; returns the edge the script's side sees, if its
    /// level changed.
    ///
    /// ```
    /// use pymqtt::board::pins::Pins;
    ///
    /// let mut pins = Pins::default();
    /// assert!(pins.set_input("14", 1).is_some());
    /// assert_eq!(pins.set_input("14", 1), None); // no change, no edge
    /// ```
    pub fn set_input(&mut self, id: &str, level: u8) -> Option<Edge> {
        let pin = self.entry(id);
        let before = pin.level();
        pin.input = Some(level.min(1));
        let after = pin.level();
        match (before, after) {
            (0, 1) => Some(Edge::Rising),
            (1, 0) => Some(Edge::Falling),
            _ => None,
        }
    }

    /// Sets what the script drives on `id`; returns whether the level changed.
    ///
    /// ```
    /// use pymqtt::board::pins::Pins;
    ///
    /// let mut pins = Pins::default();
    /// assert!(pins.set_output("5", 1));
    /// assert!(!pins.set_output("5", 1));
    /// ```
    pub fn set_output(&mut self, id: &str, level: u8) -> bool {
        let pin = self.entry(id);
        let changed = pin.output != level.min(1);
        pin.output = level.min(1);
        changed
    }

    /// Every pin touched so far, by id.
    ///
    /// ```
    /// use pymqtt::board::pins::Pins;
    ///
    /// let mut pins = Pins::default();
    /// pins.set_output("5", 1);
    /// pins.set_input("4", 0);
    /// let ids: Vec<&String> = pins.iter().map(|(id, _)| id).collect();
    /// assert_eq!(ids, ["4", "5"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Pin)> {
        self.pins.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_their_pull_until_driven_and_report_edges() {
        let mut pins = Pins::default();
        pins.entry("14").mode = Some(Mode::In);
        pins.entry("14").pull = Pull::Up;
        assert_eq!(pins.get("14").level(), 1);
        assert_eq!(pins.set_input("14", 0), Some(Edge::Falling));
        assert_eq!(pins.set_input("14", 0), None);
        assert_eq!(pins.set_input("14", 1), Some(Edge::Rising));
        pins.entry("2").mode = Some(Mode::Out);
        assert!(pins.set_output("2", 1));
        assert!(!pins.set_output("2", 1));
        assert_eq!(pins.get("2").level(), 1);
    }
}
