# Feeder for the "receive N messages" scenario: publishes N QoS0 messages to a
# topic as fast as the broker will take them.
#
# Usage: python3 feeder.py HOST PORT TOPIC N [numbered]
#
# With `numbered`, each payload starts with its sequence number (0, 1, ...), padded to the
# same 32 bytes, so that a receiver can tell the order (scripts/bench/flood.py).
#
# Why a raw socket and not paho or mosquitto_pub: the scenario measures how fast
# the *receiving* client drains messages, so the feeder must never be the
# bottleneck. mosquitto_pub costs a process per message, and paho spends tens of
# microseconds of Python per publish, which is the same order as a receiver's
# cost per message. Here all N MQTT 3.1.1 PUBLISH packets are encoded up front
# and written with one sendall(), so the broker, not the feeder, sets the pace.
# (The benchmark's mosquitto config sets max_queued_messages 0 so a slow
# receiver gets every QoS0 message instead of the broker dropping them.)
import os
import socket
import sys


def remaining_length(n):
    # MQTT variable-length integer, 7 bits per byte, high bit = "more follows".
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8_string(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def packet(first_byte, body):
    return bytes([first_byte]) + remaining_length(len(body)) + body


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("feeder: broker closed the connection")
        data += chunk
    return data


def main():
    host, port, topic, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    # CONNECT: protocol "MQTT" level 4 (3.1.1), clean session, keepalive 60 s.
    connect = packet(0x10, utf8_string("MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big")
                     + utf8_string("bench-feeder-%d" % os.getpid()))
    # QoS0 PUBLISH (0x30): topic, then payload; no packet id at QoS0.
    numbered = sys.argv[5:] == ["numbered"]
    head = utf8_string(topic)
    if numbered:
        publishes = b"".join(packet(0x30, head + (b"%d " % i).ljust(32, b"x")) for i in range(n))
    else:
        publishes = packet(0x30, head + b"x" * 32) * n
    disconnect = packet(0xE0, b"")

    with socket.create_connection((host, port), timeout=60) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(connect)
        connack = recv_exact(sock, 4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise SystemExit("feeder: connection refused: %r" % connack)
        sock.sendall(publishes + disconnect)
        # Close only after the broker has read everything: it closes its side
        # after DISCONNECT. Closing first could reset the connection and lose
        # packets still unread in the broker's socket buffer.
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass


if __name__ == "__main__":
    main()
