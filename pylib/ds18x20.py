# MicroPython's `ds18x20` driver on the virtual board: read_temp() gives the board's reading
# for the sensor on the bus's pin (a board file's [sensors."ds18x20:PIN"], a test's, or
# 21.5 °C when nobody said).

import _board


class DS18X20:
    def __init__(self, onewire):
        self.ow = onewire
        self._device = "ds18x20:" + onewire._id

    def scan(self):
        return [rom for rom in self.ow.scan() if rom[0] in (0x10, 0x22, 0x28)]

    def convert_temp(self):
        self.ow.reset(True)

    def read_scratch(self, rom):
        return bytearray(9)

    def write_scratch(self, rom, buf):
        pass

    def read_temp(self, rom):
        return round(_board.sensor(self._device, "temperature") * 16) / 16
