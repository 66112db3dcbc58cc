# MicroPython's `network` module, on the virtual board (src/board/): a Wi-Fi station that joins
# the networks the board file declares (or, with none declared, whatever the script names),
# taking the time a radio takes, and that a test can make fail or drop. The addresses it
# reports are this computer's own.
#
# The status numbers are the board kind's port's (a Pico W's GOT_IP is 3, an ESP32's 1010):
# scripts compare with them literally.

import _board

_kind = _board.kind()
_stat = _kind["stat"]

STA_IF = 0
AP_IF = 1

STAT_IDLE = _stat["IDLE"]
STAT_CONNECTING = _stat["CONNECTING"]
STAT_WRONG_PASSWORD = _stat["WRONG_PASSWORD"]
STAT_NO_AP_FOUND = _stat["NO_AP_FOUND"]
STAT_CONNECT_FAIL = _stat["CONNECT_FAIL"]
STAT_GOT_IP = _stat["GOT_IP"]

_STATUS = {
    "idle": STAT_IDLE,
    "connecting": STAT_CONNECTING,
    "up": STAT_GOT_IP,
    "wrong_password": STAT_WRONG_PASSWORD,
    "no_ap_found": STAT_NO_AP_FOUND,
}

# Security modes, as the ports number them (scan() reports them).
AUTH_OPEN = 0
AUTH_WPA2_PSK = 3

_hostname = "PicoW" if _kind["name"] == "pico_w" else _kind["name"]
_country = "XX"


def hostname(name=None):
    """The board's host name (network.hostname()); with a name, sets it."""
    global _hostname
    if name is None:
        return _hostname
    _hostname = str(name)


def country(code=None):
    global _country
    if code is None:
        return _country
    _country = str(code)


def _this_computer():
    """(address, netmask, gateway, dns) of this computer, as a board reports its own."""
    import socket

    address = "127.0.0.1"
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # No packet is sent: connecting a UDP socket only picks the route and its address.
        probe.connect(("192.0.2.1", 9))
        address = probe.getsockname()[0]
    except OSError:
        pass
    finally:
        probe.close()
    gateway = "0.0.0.0"
    netmask = "255.0.0.0" if address.startswith("127.") else "255.255.255.0"
    try:
        with open("/proc/net/route") as f:
            for line in f.read().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 7 and fields[1] == "00000000":
                    gw = int(fields[2], 16)
                    gateway = ".".join(str((gw >> s) & 255) for s in (0, 8, 16, 24))
                elif len(fields) > 7 and fields[1] != "00000000":
                    mask = int(fields[7], 16)
                    dest = int(fields[1], 16)
                    if dest == (_ip_int(address) & mask):
                        netmask = ".".join(str((mask >> s) & 255) for s in (0, 8, 16, 24))
    except (OSError, ValueError):
        pass
    dns = gateway
    try:
        with open("/etc/resolv.conf") as f:
            for line in f.read().splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver" and "." in parts[1]:
                    dns = parts[1]
                    break
    except OSError:
        pass
    return (address, netmask, gateway, dns)


def _ip_int(address):
    # /proc/net/route writes addresses little-endian.
    a, b, c, d = (int(x) for x in address.split("."))
    return a | (b << 8) | (c << 16) | (d << 24)


def _mac():
    from _micropython_machine import unique_id

    uid = unique_id()
    if _kind["name"] == "pico_w":
        # Raspberry Pi's prefix, then bytes of the board's id.
        return bytes((0x28, 0xCD, 0xC1)) + uid[-3:]
    mac = (uid + bytes(6))[:6]
    return bytes((mac[0] & 0xFE,)) + mac[1:]


class WLAN:
    """A Wi-Fi interface: the station (STA_IF), or an access point (AP_IF) that is only ever
    active, with nobody joining."""

    def __init__(self, interface=STA_IF):
        if interface not in (STA_IF, AP_IF):
            raise ValueError("WLAN interface must be network.STA_IF or network.AP_IF")
        self._interface = interface
        self._ap_active = False
        self._essid = ""
        if interface == STA_IF:
            _board.wifi_used()

    def __repr__(self):
        return "<WLAN {}>".format("STA_IF" if self._interface == STA_IF else "AP_IF")

    def active(self, is_active=None):
        if self._interface == AP_IF:
            if is_active is not None:
                self._ap_active = bool(is_active)
            return self._ap_active
        if is_active is None:
            return _board.wifi_active()
        return _board.wifi_active(bool(is_active))

    def connect(self, ssid=None, key=None, *, bssid=None):
        if self._interface != STA_IF:
            raise OSError("an access point does not connect")
        if ssid is None:
            ssid = self._essid
        if not isinstance(ssid, str):
            raise TypeError("ssid must be str")
        self._essid = ssid
        _board.wifi_connect(ssid, None if key is None else str(key))

    def disconnect(self):
        _board.wifi_disconnect()

    def isconnected(self):
        if self._interface == AP_IF:
            return False
        return _board.wifi_status() == "up"

    def status(self, param=None):
        if param is None:
            return _STATUS[_board.wifi_status()]
        if param == "rssi":
            joined = _board.wifi_joined()
            if joined is None:
                raise OSError("not connected")
            return joined[1]
        raise ValueError("unknown status param {!r}".format(param))

    def scan(self):
        """(ssid, bssid, channel, RSSI, security, hidden) of each network in reach."""
        found = []
        for ssid, rssi, channel, is_open in _board.wifi_scan():
            bssid = bytes((0x02, 0, 0, 0, 0, len(found) + 1))
            security = AUTH_OPEN if is_open else AUTH_WPA2_PSK
            found.append((ssid.encode(), bssid, channel, rssi, security, False))
        return found

    def ifconfig(self, config=None):
        if config is not None:
            if len(config) != 4:
                raise ValueError("ifconfig takes (ip, netmask, gateway, dns)")
            self._static = tuple(config)
            return None
        static = getattr(self, "_static", None)
        if static is not None:
            return static
        if self._interface == AP_IF:
            return ("192.168.4.1", "255.255.255.0", "192.168.4.1", "0.0.0.0")
        if not self.isconnected():
            return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")
        return _this_computer()

    def ipconfig(self, *names, **settings):
        if settings:
            return None
        address, netmask, gateway, dns = self.ifconfig()
        values = {"addr4": (address, netmask), "gw4": gateway, "dhcp4": True}
        if len(names) == 1:
            return values[names[0]]
        raise ValueError("ipconfig takes one parameter name")

    def config(self, *names, **settings):
        global _hostname
        if settings:
            for name, value in settings.items():
                if name in ("essid", "ssid"):
                    self._essid = str(value)
                elif name in ("hostname", "dhcp_hostname"):
                    _hostname = str(value)
                elif name in ("pm", "txpower", "channel", "security", "key", "password",
                              "reconnects", "country"):
                    pass
                else:
                    raise ValueError("unknown config param {!r}".format(name))
            return None
        if len(names) != 1:
            raise TypeError("config() takes one parameter name, or settings as keywords")
        name = names[0]
        if name == "mac":
            return _mac()
        if name in ("essid", "ssid"):
            joined = _board.wifi_joined() if self._interface == STA_IF else None
            return joined[0] if joined else self._essid
        if name in ("hostname", "dhcp_hostname"):
            return _hostname
        if name == "channel":
            joined = _board.wifi_joined()
            return joined[2] if joined else 1
        if name == "txpower":
            return 20
        if name == "pm":
            return 0xA11140
        raise ValueError("unknown config param {!r}".format(name))

    # The CYW43's power-management constants (Pico W scripts set pm=0xa11140).
    PM_NONE = 0x10
    PM_PERFORMANCE = 0xA11142
    PM_POWERSAVE = 0xA11C82
