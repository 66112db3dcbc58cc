//! The board's I2C bus and the devices a board file declares on it: each device is 256 bytes
//! of registers with a register pointer, as most sensors and EEPROMs behave. A write's first
//! byte sets the pointer and the rest are stored from there; reads take bytes from the pointer
//! on, which advances. An address nobody answers is a NACK.

use std::collections::BTreeMap;

/// A device's registers and where its pointer is.
///
/// ```
/// use pymqtt::board::i2c::{Bus, Device};
///
/// let mut bus = Bus::default();
/// bus.add(0x76, Device::new(&[(0xd0, vec![0x60])])); // a BME280's chip id
/// assert_eq!(bus.read_mem(0x76, 0xd0, 1).unwrap(), [0x60]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    registers: Vec<u8>,
    pointer: u8,
}

impl Device {
    /// A device whose registers start at `contents`: (first register, bytes from there) each.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x50, Device::new(&[(0x00, vec![1, 2, 3])]));
    /// assert_eq!(bus.read(0x50, 3).unwrap(), [1, 2, 3]);
    /// ```
    pub fn new(contents: &[(u8, Vec<u8>)]) -> Device {
        let mut registers = vec![0; 256];
        for (start, bytes) in contents {
            for (i, byte) in bytes.iter().enumerate() {
                registers[(usize::from(*start) + i) % 256] = *byte;
            }
        }
        Device {
            registers,
            pointer: 0,
        }
    }
}

/// No device answered at this address.
///
/// ```
/// use pymqtt::board::i2c::{Bus, Nack};
///
/// assert_eq!(Bus::default().read(0x40, 1), Err(Nack));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nack;

/// The board's I2C bus: the devices on it, by address.
///
/// ```
/// use pymqtt::board::i2c::{Bus, Device};
///
/// let mut bus = Bus::default();
/// bus.add(0x50, Device::new(&[]));
/// bus.write_mem(0x50, 0x10, b"hi").unwrap();
/// assert_eq!(bus.read_mem(0x50, 0x10, 2).unwrap(), b"hi");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bus {
    devices: BTreeMap<u8, Device>,
}

impl Bus {
    /// Puts `device` on the bus at `address`.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x3c, Device::new(&[]));
    /// assert_eq!(bus.scan(), [0x3c]);
    /// ```
    pub fn add(&mut self, address: u8, device: Device) {
        self.devices.insert(address, device);
    }

    /// The addresses that answer, as `scan()` lists them.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x76, Device::new(&[]));
    /// bus.add(0x3c, Device::new(&[]));
    /// assert_eq!(bus.scan(), [0x3c, 0x76]);
    /// ```
    pub fn scan(&self) -> Vec<u8> {
        self.devices.keys().copied().collect()
    }

    fn device(&mut self, address: u8) -> Result<&mut Device, Nack> {
        self.devices.get_mut(&address).ok_or(Nack)
    }

    /// `writeto(addr, data)`: the first byte sets the register pointer, the rest are stored.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x50, Device::new(&[]));
    /// bus.write(0x50, &[0x20, 7, 8]).unwrap(); // pointer 0x20, then two bytes
    /// bus.write(0x50, &[0x20]).unwrap();
    /// assert_eq!(bus.read(0x50, 2).unwrap(), [7, 8]);
    /// ```
    pub fn write(&mut self, address: u8, data: &[u8]) -> Result<(), Nack> {
        let device = self.device(address)?;
        if let Some((pointer, bytes)) = data.split_first() {
            device.pointer = *pointer;
            for byte in bytes {
                device.registers[usize::from(device.pointer)] = *byte;
                device.pointer = device.pointer.wrapping_add(1);
            }
        }
        Ok(())
    }

    /// `readfrom(addr, n)`: `n` bytes from the register pointer on.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x50, Device::new(&[(0, vec![9, 10])]));
    /// assert_eq!(bus.read(0x50, 1).unwrap(), [9]);
    /// assert_eq!(bus.read(0x50, 1).unwrap(), [10]); // the pointer moved on
    /// ```
    pub fn read(&mut self, address: u8, n: usize) -> Result<Vec<u8>, Nack> {
        let device = self.device(address)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(device.registers[usize::from(device.pointer)]);
            device.pointer = device.pointer.wrapping_add(1);
        }
        Ok(out)
    }

    /// `writeto_mem(addr, register, data)`.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x50, Device::new(&[]));
    /// bus.write_mem(0x50, 0xf4, &[0x27]).unwrap();
    /// assert_eq!(bus.read_mem(0x50, 0xf4, 1).unwrap(), [0x27]);
    /// ```
    pub fn write_mem(&mut self, address: u8, register: u8, data: &[u8]) -> Result<(), Nack> {
        let mut message = vec![register];
        message.extend_from_slice(data);
        self.write(address, &message)
    }

    /// `readfrom_mem(addr, register, n)`.
    ///
    /// ```
    /// use pymqtt::board::i2c::{Bus, Device};
    ///
    /// let mut bus = Bus::default();
    /// bus.add(0x76, Device::new(&[(0xd0, vec![0x60])]));
    /// assert_eq!(bus.read_mem(0x76, 0xd0, 1).unwrap(), [0x60]);
    /// ```
    pub fn read_mem(&mut self, address: u8, register: u8, n: usize) -> Result<Vec<u8>, Nack> {
        self.write(address, &[register])?;
        self.read(address, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_are_read_and_written_from_the_pointer() {
        let mut bus = Bus::default();
        bus.add(0x76, Device::new(&[(0xD0, vec![0x60])]));
        assert_eq!(bus.scan(), [0x76]);
        assert_eq!(bus.read_mem(0x76, 0xD0, 1), Ok(vec![0x60]));
        bus.write_mem(0x76, 0xF4, &[1, 2]).unwrap();
        assert_eq!(bus.read_mem(0x76, 0xF4, 3), Ok(vec![1, 2, 0]));
        assert_eq!(bus.read(0x76, 1), Ok(vec![0]), "the pointer went on");
        assert_eq!(bus.read(0x10, 1), Err(Nack));
    }
}
