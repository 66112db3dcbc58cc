# MicroPython's select.poll(): poll() and ipoll() give back the registered object itself
# (an int stays an int), ipoll(..., 1) is one-shot until modify(), uselect is select.
import select, socket, uselect

print(uselect is select)
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.socket()
client.connect(server.getsockname())
peer, _ = server.accept()

p = select.poll()
p.register(client, select.POLLIN)
print("nothing yet", p.poll(0))
peer.send(b"x")
ready = p.poll(1000)
print("the socket itself", ready[0][0] is client, ready[0][1] & select.POLLIN)
print("one-shot", [(obj is client, event) for obj, event in p.ipoll(1000, 1)])
print("then quiet", p.poll(0))
p.modify(client, select.POLLIN)
print("after modify", len(p.poll(1000)))
p.register(peer.fileno(), select.POLLOUT)
print("kinds", sorted(type(obj).__name__ for obj, event in p.poll(0)))
try:
    p.modify(server, select.POLLIN)
except OSError as e:
    print("modify unregistered", e.args[0])
