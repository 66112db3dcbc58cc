# Modules imported from .py files are read as MicroPython reads them: tabs in indentation
# counted to the next multiple of 8, CR line endings as LF (src/host/source.rs). Every source
# module, `-m` ones included, is compiled by SourceLoader.source_to_code; this puts the
# respelling in front of it. src/modules/micropython_native/mod.rs imports this at start.
#
# Frozen and built-in modules do not come this way, and need nothing: they are pymqtt's own.

from _frozen_importlib_external import SourceLoader
from _micropython_native import source_text

_source_to_code = SourceLoader.source_to_code


def source_to_code(self, data, path, *, _optimize=-1):
    text = source_text(data)
    if text is not data:
        show_in_tracebacks(path, text.decode("utf-8-sig") if isinstance(text, bytes) else text)
    return _source_to_code(self, text, path, _optimize=_optimize)


def show_in_tracebacks(path, text):
    """Tracebacks show the file `path` as `text`, the respelled source that was compiled, while
    the file stays as it is: their carets then point where the compiled columns are. The entry
    is the one linecache would make from the file itself, with these lines."""
    import linecache
    import os

    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return
    lines = [line + "\n" for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()
    linecache.cache[path] = (stat.st_size, stat.st_mtime, lines, path)


source_to_code.__doc__ = _source_to_code.__doc__
SourceLoader.source_to_code = source_to_code
