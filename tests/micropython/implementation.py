# sys.implementation is RustPython's: a script can tell it runs on pymqtt.
import sys

print(sys.implementation.name)
