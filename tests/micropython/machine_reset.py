# machine.reset() starts the program again, as a board's reset runs main.py again: the same
# process (same id) runs the script from the top.
import machine
import os

marker = "%s/pymqtt-machine-reset-%d" % (os.environ.get("TMPDIR", "/tmp"), os.getpid())
try:
    os.stat(marker)
except OSError:
    open(marker, "w").close()
    print("first run")
    machine.reset()
    print("not reached")
os.remove(marker)
print("second run, same process")
