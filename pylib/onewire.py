# MicroPython's `onewire` bus on the virtual board: one DS18B20 answers on each bus (its ROM
# code is made from the pin), so ds18x20 scripts find their sensor.

import _board


class OneWireError(Exception):
    pass


def _crc8(data):
    crc = 0
    for byte in data:
        for _ in range(8):
            mix = (crc ^ byte) & 1
            crc >>= 1
            if mix:
                crc ^= 0x8C
            byte >>= 1
    return crc


class OneWire:
    SEARCH_ROM = 0xF0
    MATCH_ROM = 0x55
    SKIP_ROM = 0xCC

    def __init__(self, pin):
        self.pin = pin
        self._id = _board.pin_id(getattr(pin, "_name", pin))

    def _rom(self):
        serial = int(self._id) if self._id.isdigit() else sum(self._id.encode())
        body = bytes((0x28, serial & 255, 0x20, 0x4D, 0x0B, 0x00, 0x00))
        return body + bytes((_crc8(body),))

    def reset(self, required=False):
        return True

    def scan(self):
        return [self._rom()]

    def crc8(self, data):
        return _crc8(data)

    def readbit(self):
        return 1

    def readbyte(self):
        return 0xFF

    def readinto(self, buf):
        for i in range(len(buf)):
            buf[i] = 0xFF

    def writebit(self, value):
        pass

    def writebyte(self, value):
        pass

    def write(self, buf):
        pass

    def select_rom(self, rom):
        pass
