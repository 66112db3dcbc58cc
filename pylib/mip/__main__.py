# `pymqtt -m mip install [--target DIR] [--index URL] PACKAGE[@VERSION]...`: mip's command
# line (micropython-lib's mip-cmdline), exiting 1 when a package could not be installed.

import argparse
import sys

from . import install


def main(argv):
    parser = argparse.ArgumentParser(
        prog="pymqtt -m mip",
        description="Install MicroPython packages into ~/.micropython/lib.",
    )
    commands = parser.add_subparsers(dest="command", metavar="install")
    command = commands.add_parser("install", help="install packages")
    command.add_argument("-t", "--target", help="folder to install into")
    command.add_argument("-i", "--index", help="package index URL")
    # mip's flags; pymqtt always installs .py sources, so both are accepted and change nothing.
    command.add_argument("--mpy", action="store_true", help=argparse.SUPPRESS)
    command.add_argument("--no-mpy", action="store_true", help=argparse.SUPPRESS)
    command.add_argument("package", nargs="+", help="NAME, NAME@VERSION or a URL")
    args = parser.parse_args(argv)
    if args.command != "install":
        parser.print_usage(sys.stderr)
        return 2

    ok = True
    for package in args.package:
        ok = install(package, args.index, args.target) and ok
    return 0 if ok else 1


sys.exit(main(sys.argv[1:]))
