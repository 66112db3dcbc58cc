# An MQTT 3.1.1 client in pure Python, written the way MicroPython code talks to a network:
# the socket is a stream (read(n), readinto(buf), write(buf), write(buf, n)), found with
# socket.getaddrinfo(), and polled by switching it to non-blocking with setblocking(False).
#
# It is test data, not a library: pymqtt has its own native umqtt.simple. Running this client
# against a real broker proves that MicroPython's socket stream API works on pymqtt well enough
# to carry MQTT, the way pure-Python MQTT code written for MicroPython does it.
#
# What it speaks: CONNECT/CONNACK, PUBLISH at QoS 0 and 1 (both ways, with PUBACK),
# SUBSCRIBE/SUBACK, PINGREQ/PINGRESP and DISCONNECT. No QoS 2, no TLS, no last will.

# The two imports below are also run as MicroPython's u-names (usocket, ustruct): the test
# rewrites these lines, so keep them as they are.
import socket
import struct

# Packet types: the high nibble of a packet's first byte, already shifted into place.
CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
SUBSCRIBE = 0x80
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0

# A SUBACK's return code for a refused subscription.
_REFUSED = 0x80


class MQTTError(Exception):
    # args[0] is the broker's return code (CONNACK) or what went wrong.
    pass


def _utf8(text):
    # MQTT strings and topics: str or bytes, sent as UTF-8 after their 16-bit length.
    if isinstance(text, str):
        text = text.encode()
    return struct.pack("!H", len(text)) + text


class Client:
    def __init__(self, client_id, host, port=1883, keepalive=0, on_message=None):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.keepalive = keepalive
        # Called as on_message(topic, payload) for every PUBLISH the broker sends.
        self.on_message = on_message
        self.sock = None
        self._last_id = 0
        # A packet's first byte and its remaining length (1 to 4 bytes): written with
        # write(buf, n), so only the n bytes in use go out.
        self._head = bytearray(5)

    # --- the stream underneath ---------------------------------------------------------------

    def _send(self, kind, body):
        length = len(body)
        self._head[0] = kind
        n = 1
        while True:
            digit = length & 0x7F
            length >>= 7
            self._head[n] = digit | (0x80 if length else 0)
            n += 1
            if not length:
                break
        self.sock.write(self._head, n)
        if body:
            self.sock.write(body)

    def _read_length(self):
        # The remaining length: 7 bits per byte, low bits first, the top bit says "more".
        length = 0
        shift = 0
        while True:
            byte = self._read_exactly(1)[0]
            length |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return length
            shift += 7

    def _read_exactly(self, n):
        data = self.sock.read(n)
        if not data or len(data) < n:
            raise OSError("the broker closed the connection")
        return data

    def _next_packet(self, block):
        # (first byte, body) of the next packet; None when not blocking and nothing is there.
        if block:
            first = self.sock.read(1)
        else:
            self.sock.setblocking(False)
            try:
                first = self.sock.read(1)
            finally:
                # The rest of a packet that has started arriving is waited for.
                self.sock.setblocking(True)
            if first is None:
                return None
        if not first:
            raise OSError("the broker closed the connection")
        body = bytearray(self._read_length())
        if body and self.sock.readinto(body) != len(body):
            raise OSError("the broker closed the connection inside a packet")
        return first[0], body

    def _new_id(self):
        self._last_id = self._last_id % 0xFFFF + 1
        return self._last_id

    # --- handling what arrives ---------------------------------------------------------------

    def _handle(self, packet):
        # Delivers a PUBLISH (and acknowledges it); returns the packet's type.
        first, body = packet
        kind = first & 0xF0
        if kind == PUBLISH:
            qos = (first >> 1) & 3
            if qos > 1:
                raise MQTTError("QoS 2 is not supported")
            topic_len = struct.unpack_from("!H", body, 0)[0]
            topic = bytes(body[2 : 2 + topic_len])
            start = 2 + topic_len
            if qos:
                packet_id = body[start : start + 2]
                start += 2
            if self.on_message:
                self.on_message(topic, bytes(body[start:]))
            if qos:
                self._send(PUBACK, packet_id)
        return kind

    def _wait_for_ack(self, kind, packet_id):
        # Handles packets until the ack of `kind` for `packet_id` arrives; returns its body.
        while True:
            first, body = packet = self._next_packet(block=True)
            if self._handle(packet) == kind and struct.unpack_from("!H", body, 0)[0] == packet_id:
                return body

    # --- the client's API ----------------------------------------------------------------------

    def connect(self, clean_session=True, timeout=None):
        # Returns the CONNACK's session-present flag (0 or 1); raises MQTTError on refusal.
        address = socket.getaddrinfo(self.host, self.port)[0][-1]
        self.sock = socket.socket()
        self.sock.settimeout(timeout)
        self.sock.connect(address)
        flags = 0x02 if clean_session else 0x00
        body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", self.keepalive)
        self._send(CONNECT, body + _utf8(self.client_id))
        # A CONNACK is four bytes: its type, length 2, the flags, the return code.
        connack = bytearray(4)
        if self.sock.readinto(connack) != 4 or connack[0] != CONNACK or connack[1] != 2:
            raise MQTTError("no CONNACK: %r" % bytes(connack))
        if connack[3]:
            raise MQTTError(connack[3])
        return connack[2] & 1

    def publish(self, topic, payload, qos=0, retain=False):
        # At QoS 1 returns once the broker's PUBACK has arrived.
        if isinstance(payload, str):
            payload = payload.encode()
        first = PUBLISH | qos << 1 | (1 if retain else 0)
        if qos == 0:
            self._send(first, _utf8(topic) + payload)
            return
        if qos != 1:
            raise MQTTError("QoS 2 is not supported")
        packet_id = self._new_id()
        self._send(first, _utf8(topic) + struct.pack("!H", packet_id) + payload)
        self._wait_for_ack(PUBACK, packet_id)

    def subscribe(self, topic, qos=0):
        # Returns the QoS the broker granted; raises MQTTError if it refused.
        packet_id = self._new_id()
        # SUBSCRIBE's first byte has the reserved flags 0b0010.
        self._send(SUBSCRIBE | 0x02, struct.pack("!H", packet_id) + _utf8(topic) + bytes([qos]))
        granted = self._wait_for_ack(SUBACK, packet_id)[2]
        if granted == _REFUSED:
            raise MQTTError("subscription to %r refused" % topic)
        return granted

    def ping(self):
        # The PINGRESP comes back through wait() or poll().
        self._send(PINGREQ, b"")

    def wait(self):
        # Blocks for the next packet and handles it; returns its type (PUBLISH, PINGRESP...).
        return self._handle(self._next_packet(block=True))

    def poll(self):
        # As wait(), but returns None at once when nothing has arrived.
        packet = self._next_packet(block=False)
        if packet is None:
            return None
        return self._handle(packet)

    def disconnect(self):
        self._send(DISCONNECT, b"")
        self.sock.close()
        self.sock = None
