# MicroPython's stream methods on sockets (read, readinto, readline, write), against an
# echo server this script starts in a thread.
import errno
import _thread
import usocket as socket

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(socket.getaddrinfo("127.0.0.1", 0)[0][-1])
server.listen(1)
port = server.getsockname()[1]


def echo():
    # Sends back what arrives; after a chunk ending in "|", closes the connection.
    conn, _ = server.accept()
    while True:
        data = conn.recv(1024)
        if not data:
            break
        conn.write(data)
        if data[-1:] == b"|":
            break
    conn.close()


_thread.start_new_thread(echo, ())

client = socket.socket()
client.connect(socket.getaddrinfo("127.0.0.1", port)[0][-1])

print(client.write(b"line one\nline two\n"))
print(client.readline())
print(client.readline())

print(client.write("caf\u00e9\n"))
print(client.read(6))

print(client.write(b"0123456789", 4), client.write(b"0123456789", 6, 3))
print(client.read(7))

buf = bytearray(5)
client.write(b"abcdefg")
print(client.readinto(buf), buf)
print(client.readinto(buf, 2), buf)

# non-blocking, nothing to read: None
client.setblocking(False)
print(client.read(1), client.read(), client.readline(), client.readinto(buf))
client.setblocking(True)

# a timeout: OSError ETIMEDOUT
client.settimeout(0.1)
try:
    client.read(1)
except OSError as e:
    print("OSError", e.args[0] == errno.ETIMEDOUT)
client.settimeout(None)

# read() reads to the end of the stream
client.write(b"the end|")
print(client.read())
print(client.read(1), client.readline())
client.close()
