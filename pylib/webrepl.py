# MicroPython's `webrepl`: a board's REPL over WebSocket. pymqtt has its REPL at the terminal
# (`pymqtt` with no script), so start() only says so.

import sys


def start(port=8266, password=None, accept_handler=None):
    print("WebREPL is not served by pymqtt: run `pymqtt` for its REPL", file=sys.stderr)


def stop():
    pass


def start_foreground(port=8266, password=None):
    start(port, password)
