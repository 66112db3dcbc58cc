"""MicroPython's `machine` module, as pymqtt has it on a host computer: the hardware of the
virtual board (src/board/), which tests and people drive and watch.

`import machine` (or `umachine`) gives this module unless the script brings a machine.py of
its own (in its folder or on sys.path), which then wins, as on MicroPython.

Pins, analog inputs, PWM and timers are the board's. Callbacks (pin interrupts, timers) run
on the script's main thread between bytecodes, as MicroPython's soft interrupts do; an
exception in one is printed and the script goes on.
"""

import sys

import _board

# posix rather than os: importing os takes longer than the rest of a small script.
from posix import sched_yield, uname

# The name scripts know it by (in reprs and "cannot import name 'Pin' from 'machine'").
__name__ = "machine"


def soft_reset():
    """Run as a board's folder (`pymqtt DIR`), starts boot.py and main.py again, as a board
    does; a single script ends instead (SystemExit, status 0), as on the unix port."""
    if _board.runs_folder():
        _restart("soft reset", SOFT_RESET)
    sys.exit()

_unique_id = None


def idle():
    """Gives the CPU to other processes for a moment (sched_yield(), as the unix port)."""
    sched_yield()


def unique_id():
    """8 bytes that identify this computer, the same across runs and reboots, as a board's
    unique_id() identifies the board. They are derived from /etc/machine-id (hashed: the id
    itself is not revealed), or from the host name where there is no machine-id."""
    global _unique_id
    if _unique_id is None:
        seed = b""
        for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                with open(path, "rb") as f:
                    seed = f.read().strip()
            except OSError:
                continue
            if seed:
                break
        if not seed:
            seed = uname().nodename.encode()
        from _sha256 import sha256

        given = _board.unique_id()
        size = _board.kind()["unique_id_len"]
        digest = sha256(b"pymqtt machine.unique_id\0" + seed).digest()
        _unique_id = given if given is not None else digest[:size]
    return _unique_id


def reset():
    """Starts the program again from the beginning, as a board's reset runs main.py again:
    the pymqtt process replaces itself with a new one, with the same command line. As on a
    board, nothing is cleaned up: MQTT connections close without DISCONNECT (the broker
    publishes their last wills), atexit functions do not run. A program read from standard
    input finds it empty the second time."""
    _restart("machine.reset()", HARD_RESET)


# What started the program: reset_cause() (ESP32's numbers; the other ports' differ little).
PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
# wake_reason()
PIN_WAKE = EXT0_WAKE = 2
TIMER_WAKE = 4
# lightsleep/deepsleep wake sources
WLAN_WAKE = 5
SLEEP = 2
DEEPSLEEP = 4

_RESET_CAUSE_VARIABLE = "PYMQTT_RESET_CAUSE"


def _environ():
    from posix import environ

    return environ


def _restart(why, cause):
    """Restarts the program as the board would, telling the new process why."""
    _board.reset(why)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    from posix import execve

    env = dict(_environ())
    env[_RESET_CAUSE_VARIABLE.encode()] = str(cause).encode()
    execve(sys.executable, sys.orig_argv, env)


def reset_cause():
    value = _environ().get(_RESET_CAUSE_VARIABLE.encode(), b"")
    try:
        return int(value)
    except ValueError:
        return PWRON_RESET


def wake_reason():
    return TIMER_WAKE if reset_cause() == DEEPSLEEP_RESET else 0


def freq(hz=None):
    """The CPU's clock in Hz (the board kind's); setting it changes nothing here."""
    global _freq
    if hz is None:
        return _freq
    _freq = int(hz)


_freq = _board.kind()["freq"]


def deepsleep(ms=None):
    """Sleeps, then starts the program again with reset_cause() == DEEPSLEEP_RESET."""
    import time

    if ms is not None:
        time.sleep_ms(ms)
    else:
        while True:
            time.sleep(3600)
    _restart("deepsleep", DEEPSLEEP_RESET)


def lightsleep(ms=None):
    """Sleeps; the program goes on afterwards, as after a light sleep."""
    import time

    if ms is None:
        while True:
            time.sleep(3600)
    time.sleep_ms(ms)


def disable_irq():
    """Holds back pin and timer callbacks until enable_irq(state)."""
    global _irq_enabled
    state, _irq_enabled = _irq_enabled, False
    return state


def enable_irq(state=True):
    global _irq_enabled
    _irq_enabled = bool(state)
    if _irq_enabled:
        held = list(_held)
        _held.clear()
        for call in held:
            _run_callback(call)


_irq_enabled = True
_held = []


def _run_callback(call):
    if not _irq_enabled:
        _held.append(call)
        return
    try:
        call()
    except Exception as e:
        # As MicroPython: the exception is printed and the script goes on.
        print("Uncaught exception in IRQ callback handler", file=sys.stderr)
        sys.print_exception(e, sys.stderr)


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    """Nothing pulses on a virtual pin: waits for the pin to read `pulse_level` as a board
    does, and reports a timeout (-2 before the pulse, -1 during it) as MicroPython does."""
    return -2 if pin.value() != pulse_level else -1


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    ALT = 3
    ALT_OPEN_DRAIN = 4
    ANALOG = 5
    PULL_UP = 1
    PULL_DOWN = 2
    PULL_HOLD = 4
    IRQ_FALLING = 4
    IRQ_RISING = 8
    IRQ_LOW_LEVEL = 1
    IRQ_HIGH_LEVEL = 2
    DRIVE_0 = 0
    DRIVE_1 = 1
    DRIVE_2 = 2
    DRIVE_3 = 3
    WAKE_LOW = 4
    WAKE_HIGH = 5

    def __init__(self, id, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        self._name = id
        self._id = _board.pin_id(id)
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None, drive=None, alt=None):
        _board.pin_init(
            self._id,
            None if mode in (-1, None) else int(mode),
            None if pull in (-1, None) else int(pull),
            None if value is None else (1 if value else 0),
        )

    def __repr__(self):
        if isinstance(self._name, str):
            return "Pin({!r})".format(self._name)
        return "Pin({})".format(self._name)

    def value(self, x=None):
        if x is None:
            return _board.pin_value(self._id)
        _board.pin_write(self._id, bool(x))

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        _board.pin_write(self._id, True)

    def off(self):
        _board.pin_write(self._id, False)

    high = on
    low = off

    def toggle(self):
        _board.pin_write(self._id, not _board.pin_value(self._id))

    def irq(self, handler=None, trigger=IRQ_FALLING | IRQ_RISING, *, priority=1, wake=None,
            hard=False):
        """Calls handler(pin) when the input sees one of the `trigger` edges."""
        if handler is None:
            _pin_handlers.pop(self._id, None)
            _board.pin_irq(self._id, 0)
        else:
            _pin_handlers[self._id] = (self, handler)
            _board.pin_irq(self._id, int(trigger) & (Pin.IRQ_FALLING | Pin.IRQ_RISING))
        return _IrqHandle(self)


class _IrqHandle:
    def __init__(self, pin):
        self._pin = pin

    def trigger(self):
        return 0

    def flags(self):
        return 0


_pin_handlers = {}


def _pin_irq(pin_id, edge):
    """The board saw `edge` on `pin_id` (called by src/modules/board.rs, between bytecodes)."""
    entry = _pin_handlers.get(pin_id)
    if entry is not None:
        pin, handler = entry
        _run_callback(lambda: handler(pin))


class Signal:
    """A pin whose logic may be inverted: on() means active."""

    def __init__(self, pin, *args, invert=False, **kwargs):
        if not isinstance(pin, Pin):
            pin = Pin(pin, *args, **kwargs)
        self._pin = pin
        self._invert = bool(invert)

    def value(self, x=None):
        if x is None:
            return self._pin.value() ^ self._invert
        self._pin.value(bool(x) ^ self._invert)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class ADC:
    """An analog input: read_u16() gives what the board file or a test says (mid-scale, or
    about 27 °C on a Pico's temperature sensor, when nobody said)."""

    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3
    WIDTH_9BIT = 9
    WIDTH_10BIT = 10
    WIDTH_11BIT = 11
    WIDTH_12BIT = 12
    CORE_TEMP = 4

    def __init__(self, pin, *, atten=None):
        self._id = _board.pin_id(pin._name if isinstance(pin, Pin) else pin)
        self._bits = 12 if _board.kind()["name"] == "esp32" else 10

    def read_u16(self):
        return _board.adc_read_u16(self._id)

    def read(self):
        return self.read_u16() >> (16 - self._bits)

    def read_uv(self):
        return self.read_u16() * 3300000 // 65535

    def atten(self, atten):
        pass

    def width(self, bits):
        self._bits = int(bits)


class PWM:
    def __init__(self, pin, *, freq=1000, duty_u16=None, duty_ns=None, invert=False):
        self._pin = pin if isinstance(pin, Pin) else Pin(pin, Pin.OUT)
        self._freq = int(freq)
        self._duty = 0
        if duty_u16 is not None:
            self._duty = int(duty_u16)
        elif duty_ns is not None:
            self.duty_ns(duty_ns)
        self._write()

    def _write(self):
        if self._freq > 0xFFFFFFFF:
            raise ValueError("PWM frequency %d Hz is out of range" % self._freq)
        _board.pwm(self._pin._id, max(0, min(65535, self._duty)), max(1, self._freq))

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = int(value)
        self._write()

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self._duty = int(value)
        self._write()

    def duty(self, value=None):
        """The ESP ports' 10-bit duty (0..1023)."""
        if value is None:
            return self._duty >> 6
        self._duty = int(value) * 65535 // 1023
        self._write()

    def duty_ns(self, value=None):
        period_ns = 1000000000 // max(1, self._freq)
        if value is None:
            return self._duty * period_ns // 65535
        self._duty = int(value) * 65535 // period_ns
        self._write()

    def deinit(self):
        self._duty = 0
        self._write()


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, *args, **kwargs):
        self._token = None
        self._callback = None
        if args or kwargs:
            self.init(*args, **kwargs)

    def init(self, *, mode=PERIODIC, period=-1, freq=-1, tick_hz=1000, callback=None):
        self.deinit()
        if freq > 0:
            period_ms = 1000 / freq
        elif period >= 0:
            period_ms = period * 1000 / tick_hz
        else:
            raise ValueError("a timer needs period= or freq=")
        global _next_token
        _next_token += 1
        self._token = _next_token
        self._callback = callback
        self._periodic = mode == Timer.PERIODIC
        _timers[self._token] = self
        # A period past what the board's clock counts (2**63 ms) is one that never ends.
        _board.timer_start(self._token, max(1, min(int(period_ms), 2**63 - 1)), self._periodic)

    def deinit(self):
        if self._token is not None:
            _board.timer_stop(self._token)
            _timers.pop(self._token, None)
            self._token = None

    def _fire(self):
        if not self._periodic:
            _timers.pop(self._token, None)
            self._token = None
        if self._callback is not None:
            callback = self._callback
            _run_callback(lambda: callback(self))


_timers = {}
_next_token = 0


def _timer_fire(token):
    """A timer's period passed (called by src/modules/board.rs, between bytecodes)."""
    timer = _timers.get(token)
    if timer is not None:
        timer._fire()


def _address(addr):
    """An I2C address as the bus takes it: 7 bits."""
    if not 0 <= addr <= 127:
        raise ValueError("I2C address must be 0..127, not %d" % addr)
    return addr


def _count(nbytes):
    if nbytes < 0:
        raise ValueError("nbytes must not be negative, not %d" % nbytes)
    return nbytes


class WDT:
    """A watchdog: a board resets unless feed() comes within `timeout` ms."""

    def __init__(self, id=0, timeout=5000):
        self._timer = Timer()
        self._timeout = max(1, int(timeout))
        self.feed()

    def feed(self):
        self._timer.init(mode=Timer.ONE_SHOT, period=self._timeout,
                         callback=lambda t: _restart("watchdog", WDT_RESET))


class RTC:
    """The board's clock: this computer's, which is right already (ntptime.settime() is not
    needed, and changes nothing)."""

    def __init__(self, id=0):
        self._offset = 0

    def datetime(self, datetimetuple=None):
        import time

        if datetimetuple is not None:
            year, month, day, weekday, hour, minute, second = datetimetuple[:7]
            wanted = time.mktime((year, month, day, hour, minute, second, 0, 0, 0))
            self._offset = wanted - time.time()
            return None
        t = time.localtime(time.time() + self._offset)
        return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)

    def init(self, datetimetuple=None):
        if datetimetuple is not None:
            self.datetime(datetimetuple[:3] + (0,) + datetimetuple[3:6])

    def memory(self, data=None):
        if data is None:
            return getattr(self, "_memory", b"")
        self._memory = bytes(data)


class I2C:
    """The board's I2C bus, with the devices its board file declares: each has 256 registers
    and a register pointer. An address nobody answers raises OSError(ENODEV), as on a board."""

    def __init__(self, id=-1, *, scl=None, sda=None, freq=400000, timeout=50000):
        self._id = id

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def scan(self):
        return list(_board.i2c_scan())

    def readfrom(self, addr, nbytes, stop=True):
        return _board.i2c_read(_address(addr), _count(nbytes))

    def readfrom_into(self, addr, buf, stop=True):
        buf[:] = _board.i2c_read(_address(addr), len(buf))

    def writeto(self, addr, buf, stop=True):
        _board.i2c_write(_address(addr), bytes(buf))
        return len(buf)

    def writevto(self, addr, vector, stop=True):
        data = b"".join(bytes(b) for b in vector)
        _board.i2c_write(_address(addr), data)
        return len(data)

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        _board.i2c_write(_address(addr), bytes((memaddr & 255,)))
        return _board.i2c_read(addr, _count(nbytes))

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        buf[:] = self.readfrom_mem(addr, memaddr, len(buf))

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        _board.i2c_write(_address(addr), bytes((memaddr & 255,)) + bytes(buf))


SoftI2C = I2C


class SPI:
    """The board's SPI bus, with the devices its board file declares: the one whose
    chip-select pin the script drives low answers, from the start of its reply at each
    selection. With none selected, reads give 0xFF."""

    MSB = 0
    LSB = 1

    def __init__(self, id=-1, *args, **kwargs):
        pass

    def init(self, *args, **kwargs):
        pass

    def deinit(self):
        pass

    def read(self, nbytes, write=0):
        return _board.spi_transfer(bytes([write]) * nbytes)

    def readinto(self, buf, write=0):
        buf[:] = _board.spi_transfer(bytes([write]) * len(buf))

    def write(self, buf):
        _board.spi_transfer(bytes(buf))

    def write_readinto(self, write_buf, read_buf):
        read_buf[:] = _board.spi_transfer(bytes(write_buf))


SoftSPI = SPI


class UART:
    """A serial port nobody is connected to: writes go nowhere, reads find nothing."""

    def __init__(self, id, baudrate=115200, *args, **kwargs):
        self._baudrate = baudrate

    def init(self, *args, **kwargs):
        pass

    def any(self):
        return 0

    def read(self, nbytes=None):
        return None

    readline = read

    def readinto(self, buf, nbytes=None):
        return None

    def write(self, buf):
        return len(buf)
