//! The board's SPI bus and the devices a board file declares on it. A device is selected
//! while its chip-select pin is driven low, and answers every transfer with the next bytes of
//! its reply, from the start again at each selection: what read-only sensors such as a
//! MAX6675 or MAX31855 thermocouple amplifier do. Bytes written to it are accepted and kept
//! for a watcher.

/// A device on the bus.
///
/// ```
/// use pymqtt::board::spi::{Bus, Device};
///
/// let mut bus = Bus::default();
/// bus.add(Device::new("5".into(), vec![0x0c, 0x80])); // a MAX6675 on chip select 5
/// assert_eq!(bus.transfer(&[0, 0], |cs| cs == "5"), [0x0c, 0x80]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The canonical id of its chip-select pin.
    pub cs: String,
    reply: Vec<u8>,
    position: usize,
    /// What the script wrote to it since it was last selected.
    pub written: Vec<u8>,
}

impl Device {
    /// A device selected by chip-select pin `cs` that answers with the bytes of `reply`, in turn (then 0).
    ///
    /// ```
    /// use pymqtt::board::spi::Device;
    ///
    /// let device = Device::new("17".into(), vec![1, 2]);
    /// assert_eq!(device.cs, "17");
    /// ```
    pub fn new(cs: String, reply: Vec<u8>) -> Device {
        Device {
            cs,
            reply,
            position: 0,
            written: Vec::new(),
        }
    }
}

/// The board's SPI bus and the devices on it.
///
/// ```
/// use pymqtt::board::spi::Bus;
///
/// // Nobody selected: the line reads 0xFF.
/// assert_eq!(Bus::default().transfer(&[0], |_| false), [0xff]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bus {
    devices: Vec<Device>,
}

impl Bus {
    /// Puts `device` on the bus.
    ///
    /// ```
    /// use pymqtt::board::spi::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(Device::new("5".into(), vec![42]));
    /// assert_eq!(bus.transfer(&[0], |cs| cs == "5"), [42]);
    /// ```
    pub fn add(&mut self, device: Device) {
        self.devices.push(device);
    }

    /// Its chip-select pin went low: the device starts its reply again.
    ///
    /// ```
    /// use pymqtt::board::spi::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(Device::new("5".into(), vec![1, 2]));
    /// assert_eq!(bus.transfer(&[0], |cs| cs == "5"), [1]);
    /// bus.selected("5"); // selected again: the reply starts over
    /// assert_eq!(bus.transfer(&[0], |cs| cs == "5"), [1]);
    /// ```
    pub fn selected(&mut self, cs: &str) {
        for device in self.devices.iter_mut().filter(|d| d.cs == cs) {
            device.position = 0;
            device.written.clear();
        }
    }

    /// One transfer: `write` goes out while as many bytes come back from the device whose
    /// chip select `is_low` says is low (0xFF, a line nobody drives, when none is).
    ///
    /// ```
    /// use pymqtt::board::spi::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(Device::new("5".into(), vec![7]));
    /// assert_eq!(bus.transfer(&[0, 0], |cs| cs == "5"), [7, 0]); // then zeros
    /// ```
    pub fn transfer(&mut self, write: &[u8], is_low: impl Fn(&str) -> bool) -> Vec<u8> {
        match self.devices.iter_mut().find(|d| is_low(&d.cs)) {
            Some(device) => {
                device.written.extend_from_slice(write);
                write
                    .iter()
                    .map(|_| {
                        let byte = device.reply.get(device.position).copied().unwrap_or(0);
                        device.position += 1;
                        byte
                    })
                    .collect()
            }
            None => vec![0xFF; write.len()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selected_device_replies_from_the_start_of_each_selection() {
        let mut bus = Bus::default();
        bus.add(Device::new("5".into(), vec![0x12, 0x34]));
        assert_eq!(bus.transfer(&[0, 0], |_| false), [0xFF, 0xFF]);
        bus.selected("5");
        assert_eq!(bus.transfer(&[0], |cs| cs == "5"), [0x12]);
        assert_eq!(bus.transfer(&[0, 0], |cs| cs == "5"), [0x34, 0]);
        bus.selected("5");
        assert_eq!(bus.transfer(&[7], |cs| cs == "5"), [0x12]);
    }
}
