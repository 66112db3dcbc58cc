# upip: MicroPython's older package installer, kept for the scripts and habits that use it.
#
#     pymqtt -m upip install [-p PATH] [-i INDEX] [-r requirements.txt] [--debug] PACKAGE...
#     import upip; upip.install("pkgname")   or   upip.install(["a", "b"], "/path/lib")
#
# upip read PyPI; micropython-lib now publishes through mip's index instead, so this takes
# upip's command line and hands each package to mip: -i is a mip index, and PyPI's
# "micropython-" prefix is dropped (micropython-umqtt.simple is umqtt.simple).

import sys

import mip

_PYPI_PREFIX = "micropython-"


def install(to_install, install_path=None, index=None):
    """Installs a package name or a list of them; returns True when all are in place."""
    if isinstance(to_install, str):
        to_install = [to_install]
    ok = True
    for package in to_install:
        if package.startswith(_PYPI_PREFIX):
            package = package[len(_PYPI_PREFIX) :]
        ok = mip.install(package, index=index, target=install_path) and ok
    return ok


def help():
    print(
        """\
upip - MicroPython package installer (pymqtt: installs through mip's index)
Usage: pymqtt -m upip install [-p <path>] [-i <index>] <package>... | -r <requirements.txt>
import upip; upip.install(package_or_list, [<path>])

If <path> is not given, packages are installed into the first sys.path entry ending
in /lib (~/.micropython/lib unless MICROPYPATH says otherwise)."""
    )
    print("Default install path:", mip.default_target())


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        help()
        return 0
    if argv[0] != "install":
        print("upip: only the 'install' command is supported", file=sys.stderr)
        return 2

    install_path = None
    index = None
    to_install = []
    i = 1
    while i < len(argv) and argv[i].startswith("-"):
        option = argv[i]
        if option in ("-h", "--help"):
            help()
            return 0
        if option == "--debug":
            i += 1
            continue
        if option not in ("-p", "-i", "-r"):
            print("upip: unknown option: " + option, file=sys.stderr)
            return 2
        if i + 1 >= len(argv):
            print("upip: {} needs a value".format(option), file=sys.stderr)
            return 2
        value = argv[i + 1]
        i += 2
        if option == "-p":
            install_path = value
        elif option == "-i":
            index = value
        else:
            to_install.extend(_requirements(value))
    to_install.extend(argv[i:])
    if not to_install:
        help()
        return 0
    return 0 if install(to_install, install_path, index) else 1


def _requirements(path):
    # One package per line; lines starting with # are comments.
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
