# "u" names are MicroPython's built-in modules, as on MicroPython, where the u prefix
# forces the built-in: the user's own user_modules/ujson.py is not imported.
import sys

sys.path.insert(0, "user_modules")

for u_name in (
    "utime", "ujson", "ubinascii", "uos", "usys", "ustruct", "usocket", "uselect", "ure",
    "uerrno", "ucollections", "uio", "uhashlib", "urandom", "uheapq", "uarray",
):  # fmt: skip
    module = __import__(u_name)
    print(u_name, module is __import__(u_name[1:]))

import ujson

print(hasattr(ujson, "USERS"), ujson.dumps([1, "a"]))

import umachine

print(hasattr(umachine, "idle"))

from ubinascii import hexlify
import usocket as socket

print(hexlify(b"\x01\xab"), socket.socket is __import__("socket").socket)
