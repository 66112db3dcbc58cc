# open_connection() and start_server() over loopback with MicroPython's stream methods:
# write() + drain(), awrite(), awritestr(), aclose(), close()/wait_closed(), read(n),
# readline(), readexactly(n), readinto(); a Server closed by `async with`; the reader and the
# writer answering for each other, as MicroPython's one Stream does.
import asyncio

served = asyncio.Event()


async def handler(reader, writer):
    peer = writer.get_extra_info("peername")
    print("server: peer is loopback", peer[0] == "127.0.0.1")
    print("server: line", await reader.readline())
    print("server: exactly", await reader.readexactly(5))
    buf = bytearray(4)
    n = await reader.readinto(buf)
    print("server: readinto", n, bytes(buf[:n]))
    print("server: read(3)", await reader.read(3))
    writer.write(b"HTTP/1.0 200 OK\r\n")
    writer.write("Content-Type: text/plain\r\n\r\n")  # a str, as MicroPython writes it
    await writer.drain()
    await writer.awrite(b"..body\n..", 2, 5)
    reader.write(b"through the reader\n")  # the reader writes, as a Stream would
    await reader.drain()
    await writer.aclose()
    served.set()


async def main():
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello server\n")
        await writer.drain()
        await writer.awrite(b"12345")
        await writer.awritestr("abcd")
        await writer.awrite(b"xxxyzxx", 3, 3)
        print("client: status", await reader.readline())
        print("client: header", await writer.readline())  # the writer reads, as a Stream would
        print("client: blank", await reader.readline())
        print("client: body", await reader.readline())
        print("client: then", await reader.readline())
        print("client: rest", await reader.read())
        print("client: at the end", await reader.read(10))
        try:
            await reader.readexactly(1)
        except EOFError:
            print("client: EOFError")
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for_ms(served.wait(), 5000)
    print("server closed", not server.is_serving())

    # MicroPython's start_server(cb, host, port, backlog): no callback, a positional backlog.
    server = await asyncio.start_server(None, "127.0.0.1", 0, 5)
    port = server.sockets[0].getsockname()[1]
    try:
        await asyncio.start_server(None, "127.0.0.1", port)
    except OSError:
        print("port in use: OSError")
    server.close()
    await server.wait_closed()
    print("server closed", not server.is_serving())

    # Nothing listens: OSError, as MicroPython raises.
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        print("refused", e.args[0])


asyncio.run(main())
