# MicroPython's `dht` driver (DHT11, DHT22) on the virtual board: measure() takes the next
# reading the board has for the sensor on that pin (a board file's, a test's, or 21.5 °C and
# 48 % when nobody said).

import _board


class DHTBase:
    def __init__(self, pin):
        name = getattr(pin, "_name", pin)
        self._device = "dht:" + _board.pin_id(name)
        self._temperature = None
        self._humidity = None

    def measure(self):
        self._temperature = _board.sensor(self._device, "temperature")
        self._humidity = _board.sensor(self._device, "humidity")

    def _reading(self, value):
        if value is None:
            raise OSError(110, "ETIMEDOUT")  # what a board says before the first measure()
        return value


class DHT11(DHTBase):
    # The DHT11 reports whole numbers.
    def temperature(self):
        return int(self._reading(self._temperature))

    def humidity(self):
        return int(self._reading(self._humidity))


class DHT22(DHTBase):
    def temperature(self):
        return round(self._reading(self._temperature), 1)

    def humidity(self):
        return round(self._reading(self._humidity), 1)
