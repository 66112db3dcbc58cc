# A small MQTT 3.1.1 client over a MicroPython socket stream, for tests/micropython_compat.rs.
from .client import Client, MQTTError, PINGRESP
