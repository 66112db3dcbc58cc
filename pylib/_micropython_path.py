# Puts the sys.path entries before ".frozen" (the script's folder) ahead of frozen modules,
# as on MicroPython, where sys.path order decides and ".frozen" marks the frozen modules'
# place. Without it, RustPython's frozen standard library would hide a script's own module
# of the same name: a MicroPython project's secrets.py (Wi-Fi credentials, usually) would
# import as the standard library's `secrets`. src/host/micropython_path.rs imports this at start.
#
# Built-in modules (umqtt.simple, time, ...) still come first, as on MicroPython. Without a
# ".frozen" entry (MICROPYPATH without one) every entry comes before the frozen modules,
# which stay importable after them.

import sys

from _frozen_importlib_external import PathFinder


class ScriptFirstFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if path is not None:
            # A submodule: its package's own __path__ decides where it comes from.
            return None
        try:
            entries = sys.path[: sys.path.index(".frozen")]
        except ValueError:
            entries = sys.path
        spec = PathFinder.find_spec(name, entries, target)
        if spec is None or spec.origin is None:
            # Nothing there, or only a bare folder (a namespace package): a folder named
            # "logging" next to a script must not hide the logging module.
            return None
        return spec

    @classmethod
    def invalidate_caches(cls):
        # PathFinder (later in sys.meta_path) clears the shared sys.path_importer_cache.
        pass


def _install():
    for i, finder in enumerate(sys.meta_path):
        if getattr(finder, "__name__", "") == "FrozenImporter":
            sys.meta_path.insert(i, ScriptFirstFinder)
            return
    sys.meta_path.append(ScriptFirstFinder)


_install()
