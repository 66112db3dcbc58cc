# An asyncio MQTT 3.1.1 client in pure Python, written the way mqtt_as is: one non-blocking
# socket that asyncio tasks poll (read/readinto/write return None when they would block), an
# input buffer that grows under its memoryview when a larger packet comes, the station's
# network.WLAN asked before each connect, and a keeper task that reconnects, and subscribes
# again, when the broker goes away.
#
# It is test data, not a library: mqtt_as itself is not ours to ship. Running this against a
# real broker proves that the MicroPython behaviour mqtt_as depends on holds on pymqtt.
#
# What it speaks: CONNECT/CONNACK, SUBSCRIBE/SUBACK at QoS 1, PUBLISH at QoS 0 out and QoS 0
# or 1 in (PUBACK sent), PINGREQ/PINGRESP.

import gc
import socket
import struct

import network
import uasyncio as asyncio
from time import ticks_diff, ticks_ms

# What a non-blocking connect() or a busy lwIP socket raises: EAGAIN, EINPROGRESS.
_BUSY = (11, 115)

# How long a packet may take to arrive once its first byte came, and how long the broker may
# stay silent (pings unanswered) before the connection counts as lost, in ms.
_PACKET_TIME = 5000
_SILENCE = 3000


class Client:
    def __init__(self, server, port=1883, client_id=b"async-board", on_message=None,
                 on_connect=None, subscriptions=()):  # fmt: skip
        self.server = server
        self.port = port
        self.client_id = client_id
        self.on_message = on_message
        self.on_connect = on_connect
        self.subscriptions = list(subscriptions)
        self.connections = 0
        self.up = asyncio.Event()
        self._sock = None
        self._ibuf = bytearray(32)
        self._view = memoryview(self._ibuf)
        self._last_rx = ticks_ms()

    # --- bytes in and out, without ever blocking the loop ---

    async def _read(self, n):
        if n > len(self._ibuf):
            # As mqtt_as: grow the buffer its view points into, then view it again.
            self._ibuf.extend(bytearray(n - len(self._ibuf) + 16))
            self._view = memoryview(self._ibuf)
        got = 0
        start = ticks_ms()
        while got < n:
            if ticks_diff(ticks_ms(), start) > _PACKET_TIME:
                raise OSError(-1, "timeout in the middle of a packet")
            k = self._sock.readinto(self._view[got:], n - got)
            if k == 0:
                raise OSError(-1, "connection closed by the broker")
            if k is None:
                await asyncio.sleep_ms(2)
                continue
            got += k
        self._last_rx = ticks_ms()
        return self._view[:n]

    async def _write(self, data):
        view = memoryview(data)
        sent = 0
        while sent < len(view):
            try:
                k = self._sock.write(view[sent:])
            except OSError as e:
                if e.args[0] not in _BUSY:
                    raise
                k = None
            if k is None:
                await asyncio.sleep_ms(2)
                continue
            sent += k

    async def _send(self, first, body):
        length = bytearray()
        n = len(body)
        while True:
            length.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                break
        await self._write(bytes([first]) + bytes(length) + body)

    async def _packet(self):
        """The next packet (type byte, body), or None when nothing has come yet."""
        first = self._sock.read(1)
        if first is None:
            return None
        if first == b"":
            raise OSError(-1, "connection closed by the broker")
        n = shift = 0
        while True:
            byte = (await self._read(1))[0]
            n |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        body = bytes(await self._read(n)) if n else b""
        return first[0], body

    # --- MQTT ---

    async def _connect_once(self):
        if not network.WLAN(network.STA_IF).isconnected():
            raise OSError(-1, "Wi-Fi is not connected")
        addr = socket.getaddrinfo(self.server, self.port)[0][-1]
        self._sock = socket.socket()
        self._sock.setblocking(False)
        try:
            self._sock.connect(addr)
        except OSError as e:
            if e.args[0] not in _BUSY:
                raise
        cid = self.client_id
        body = b"\x00\x04MQTT\x04\x02" + struct.pack("!HH", 60, len(cid)) + cid
        await self._send(0x10, body)
        reply = await self._wait_packet()
        if reply[0] != 0x20 or reply[1][1] != 0:
            raise OSError(-1, "refused: %r" % (reply,))
        for pkid, topic in enumerate(self.subscriptions, 1):
            body = struct.pack("!HH", pkid, len(topic)) + topic + b"\x01"
            await self._send(0x82, body)

    async def _wait_packet(self):
        start = ticks_ms()
        while True:
            packet = await self._packet()
            if packet is not None:
                return packet
            if ticks_diff(ticks_ms(), start) > _PACKET_TIME:
                raise OSError(-1, "no answer from the broker")
            await asyncio.sleep_ms(5)

    async def publish(self, topic, msg):
        body = struct.pack("!H", len(topic)) + topic + msg
        await self._send(0x30, body)

    async def _handle(self):
        while True:
            packet = await self._packet()
            if packet is None:
                if ticks_diff(ticks_ms(), self._last_rx) > _SILENCE:
                    raise OSError(-1, "the broker went silent")
                await asyncio.sleep_ms(5)
                continue
            kind, body = packet
            if kind & 0xF0 == 0x30:
                qos = (kind >> 1) & 3
                tlen = struct.unpack("!H", body[:2])[0]
                topic = body[2 : 2 + tlen]
                at = 2 + tlen
                if qos:
                    pkid = body[at : at + 2]
                    at += 2
                if self.on_message is not None:
                    self.on_message(topic, memoryview(body)[at:])
                if qos:
                    await self._send(0x40, pkid)

    async def _ping(self):
        while True:
            await asyncio.sleep_ms(_SILENCE // 3)
            await self._send(0xC0, b"")

    async def run(self):
        """Keeps the connection: connects, serves it until it fails, and starts over."""
        while True:
            try:
                await self._connect_once()
            except OSError:
                self._close()
                await asyncio.sleep_ms(200)
                continue
            self.connections += 1
            gc.collect()
            if self.on_connect is not None:
                self.on_connect(self)
            self.up.set()
            pinger = asyncio.create_task(self._ping())
            try:
                await self._handle()
            except OSError:
                pass
            pinger.cancel()
            self.up.clear()
            self._close()

    def _close(self):
        if self._sock is not None:
            self._sock.close()
            self._sock = None
