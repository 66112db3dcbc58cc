# A user's own machine.py, as people write to run board code on a computer. MicroPython's
# machine is extensible, so this one wins over the built-in (machine_user.py checks it).
print("user_modules/machine.py was imported")


class Pin:
    OUT = 1

    def __init__(self, number, mode=None):
        self.number = number
