# MicroPython's `neopixel` on the virtual board: write() shows the strip's colours to whoever
# watches the board (--board-trace, a test).

import _board


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self._id = _board.pin_id(getattr(pin, "_name", pin))
        self._pixels = [(0,) * bpp for _ in range(n)]

    def __len__(self):
        return self.n

    def __setitem__(self, index, value):
        self._pixels[index] = tuple(value)

    def __getitem__(self, index):
        return self._pixels[index]

    def fill(self, value):
        for i in range(self.n):
            self._pixels[i] = tuple(value)

    def write(self):
        _board.pixels(self._id, [p[:3] for p in self._pixels])
