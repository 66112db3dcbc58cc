# machine on a host computer: idle(), soft_reset(), unique_id(), and the virtual board's classes.
import machine
import umachine
import ubinascii

print(machine is umachine)
uid = machine.unique_id()
print(type(uid), len(uid), uid == machine.unique_id(), len(ubinascii.hexlify(uid)))
print(machine.idle())
try:
    machine.soft_reset()
except SystemExit:
    print("soft_reset raised SystemExit")
print(hasattr(machine, "reset"), hasattr(machine, "Pin"))
