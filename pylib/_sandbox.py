# The fence of a sandboxed host (HostBuilder::sandbox; src/host/sandbox.rs says what is
# enforced, docs/embedding.md where it stops). install() runs once, after pymqtt's own
# start-up and before the program: it puts checks in front of the names scripts use to reach
# files, processes, sockets and imports. Each check is _pymqtt_sandbox's, in Rust, with the
# policy the interpreter was made with; what it refuses raises PermissionError.
#
# Everything is replaced in the module objects themselves (builtins, io and _io, os and
# posix, socket and _socket), so `from os import system` done later gets the fenced one too.

import builtins
import sys

import _io
import _pymqtt_sandbox
import io
import os
import posix

_path = _pymqtt_sandbox.path
_refuse = _pymqtt_sandbox.refuse

# Imports of these raise PermissionError: the ways around everything else (foreign code,
# raw memory, other processes). Their native parts are not in the interpreter at all; the
# other native modules it is built without (src/host/sandbox.rs: fcntl, termios, resource,
# ...) are simply absent, as in a build without them, which the standard library allows for.
_REFUSED_IMPORTS = frozenset(
    (
        "ctypes",
        "_ctypes",
        "multiprocessing",
        "_multiprocessing",
        "_posixshmem",
        "mmap",
    )
)

# os functions and what their path arguments are: the positions, and whether they write.
_READS = (
    "stat",
    "lstat",
    "access",
    "readlink",
    "statvfs",
    "pathconf",
    "getxattr",
    "listxattr",
)
_WRITES = (
    "mkdir",
    "rmdir",
    "remove",
    "unlink",
    "chmod",
    "lchmod",
    "chown",
    "lchown",
    "utime",
    "truncate",
    "mkfifo",
    "mknod",
    "setxattr",
    "removexattr",
    "chflags",
    "lchflags",
)
_TWO_WRITES = ("rename", "replace")
# Starting, replacing or signalling processes, and what acts for the whole process.
_PROCESS = (
    "system",
    "popen",
    "fork",
    "forkpty",
    "execv",
    "execve",
    "execl",
    "execle",
    "execlp",
    "execlpe",
    "execvp",
    "execvpe",
    "spawnv",
    "spawnve",
    "spawnvp",
    "spawnvpe",
    "spawnl",
    "spawnle",
    "spawnlp",
    "spawnlpe",
    "posix_spawn",
    "posix_spawnp",
    "kill",
    "killpg",
    "pidfd_open",
    "chdir",
    "fchdir",
    "chroot",
    "putenv",
    "unsetenv",
    "setuid",
    "setgid",
    "seteuid",
    "setegid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setsid",
    "setpgid",
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# File descriptors the program may name as numbers: its standard streams and what it opened
# through the fence (or its socket pairs). Others may be the application's own files.
_fds = {0, 1, 2}


def _set(name, value, *modules):
    for module in modules:
        if hasattr(module, name):
            setattr(module, name, value)


def _no_dir_fd(name, kwargs):
    if kwargs.get("dir_fd") is not None or kwargs.get("src_dir_fd") is not None:
        _refuse(name + "(dir_fd=...)")


def _writes(mode):
    return any(c in mode for c in "wax+")


def _file(file, write):
    if isinstance(file, int):
        if file not in _fds:
            _refuse("file descriptor %d" % file)
        return file
    return _path(file, write)


def _fence_open(original):
    def open(file, mode="r", *args, **kwargs):
        return original(_file(file, _writes(mode)), mode, *args, **kwargs)

    open.__doc__ = original.__doc__
    return open


def _fence_open_code(original):
    def open_code(path):
        return original(_path(path, False))

    return open_code


def _one_path(name, original, write):
    # A path, or a descriptor the fence knows (os.stat(fd), os.truncate(fd, n)); listdir and
    # scandir without one mean the folder.
    def fenced(path=".", *args, **kwargs):
        _no_dir_fd(name, kwargs)
        return original(_file(path, write), *args, **kwargs)

    fenced.__name__ = name
    return fenced


def _two_writes(name, original):
    def fenced(src, dst, *args, **kwargs):
        _no_dir_fd(name, kwargs)
        return original(_path(src, True), _path(dst, True), *args, **kwargs)

    fenced.__name__ = name
    return fenced


def _refuser(what):
    def refused(*args, **kwargs):
        _refuse(what)

    refused.__name__ = what.rpartition(".")[2]
    return refused


def _fence_os():
    for module in (posix, os):
        for names, write in ((_READS + ("listdir", "scandir"), False), (_WRITES, True)):
            for name in names:
                if hasattr(module, name):
                    setattr(module, name, _one_path(name, getattr(module, name), write))
        for name in _TWO_WRITES:
            if hasattr(module, name):
                setattr(module, name, _two_writes(name, getattr(module, name)))
        for name in _PROCESS:
            if hasattr(module, name):
                setattr(module, name, _refuser("os." + name))

    raw_open = posix.open
    raw_link = posix.link
    raw_symlink = posix.symlink

    def open(path, flags, mode=0o777, **kwargs):
        _no_dir_fd("open", kwargs)
        fd = raw_open(_path(path, bool(flags & _WRITE_FLAGS)), flags, mode)
        _fds.add(fd)
        return fd

    def link(src, dst, **kwargs):
        _no_dir_fd("link", kwargs)
        return raw_link(_path(src, False), _path(dst, True))

    def symlink(src, dst, target_is_directory=False, **kwargs):
        # The link's target must be inside too: a link out would be a way out later.
        _no_dir_fd("symlink", kwargs)
        return raw_symlink(_path(src, False), _path(dst, True), target_is_directory)

    folder = _pymqtt_sandbox.folder()

    def getcwd():
        if folder is None:
            _refuse("os.getcwd()")
        return folder

    def getcwdb():
        return os.fsencode(getcwd())

    for name, value in (
        ("open", open),
        ("link", link),
        ("symlink", symlink),
        ("getcwd", getcwd),
        ("getcwdb", getcwdb),
    ):
        _set(name, value, posix, os)
    # The program sees no environment variables (they often hold the application's secrets);
    # setting them would set the whole process's.
    os.environ = {}
    os.environb = {}
    posix.environ = {}


def _fence_files():
    for module in (builtins, io, _io):
        if hasattr(module, "open"):
            module.open = _fence_open(module.open)
    for module in (io, _io):
        if hasattr(module, "open_code"):
            module.open_code = _fence_open_code(module.open_code)

    class FileIO(_io.FileIO):
        def __init__(self, file, mode="r", *args, **kwargs):
            super().__init__(_file(file, _writes(mode)), mode, *args, **kwargs)

    FileIO.__module__ = "_io"
    FileIO.__qualname__ = FileIO.__name__ = "FileIO"
    _set("FileIO", FileIO, io, _io)


def _fence_processes():
    import _posixsubprocess

    _posixsubprocess.fork_exec = _refuser("starting a process (subprocess)")


def _fence_sockets():
    import _socket
    import socket

    raw_socketpair = _socket.socketpair

    def socketpair(*args, **kwargs):
        a, b = raw_socketpair(*args, **kwargs)
        _fds.update((a.fileno(), b.fileno()))
        return a, b

    _socket.socketpair = socketpair
    native = _socket.socket

    def refused(what):
        def method(self, *args, **kwargs):
            _refuse("socket." + what + "()")

        method.__name__ = what
        return method

    class socket_(native):
        """_socket.socket, fenced: socket.socket's __init__ comes through here too."""

        def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
            # A socket over a descriptor is one of the program's own socket pairs, or
            # refused: another number may be the application's connection.
            if fileno is not None and fileno not in _fds:
                _refuse("a socket over file descriptor %r" % (fileno,))
            native.__init__(self, family, type, proto, fileno)

    socket_.__name__ = socket_.__qualname__ = "socket"
    for cls in (socket_, socket.socket):
        for name in ("connect", "connect_ex", "bind", "sendto", "sendmsg"):
            setattr(cls, name, refused(name))
    _socket.socket = _socket.SocketType = socket_
    for name in (
        "getaddrinfo",
        "gethostbyname",
        "gethostbyname_ex",
        "gethostbyaddr",
        "getnameinfo",
        "fromfd",
        "create_connection",
        "create_server",
    ):
        _set(name, _refuser("socket." + name), socket, _socket)


class _RefusedImports:
    """First on sys.meta_path: what the sandbox does not import at all."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name in _REFUSED_IMPORTS or name.partition(".")[0] in _REFUSED_IMPORTS:
            _refuse("import " + name)
        return None

    @classmethod
    def invalidate_caches(cls):
        pass


def _fence_imports():
    finders = sys.meta_path
    for i, finder in enumerate(finders):
        if getattr(finder, "__name__", "") == "PathFinder":
            finders[i] = _fenced_path_finder(finder)
    finders.insert(0, _RefusedImports)
    for name in list(sys.modules):
        if name in _REFUSED_IMPORTS or name.partition(".")[0] in _REFUSED_IMPORTS:
            del sys.modules[name]


def _fenced_path_finder(path_finder):
    class FencedPathFinder:
        """The standard path finder, for what lies in the sandbox's folder only."""

        @classmethod
        def find_spec(cls, name, path=None, target=None):
            spec = path_finder.find_spec(name, path, target)
            if spec is None:
                # Not in the folder; if the module is on an entry outside it, say so rather
                # than that it does not exist.
                for entry in sys.path if path is None else path:
                    found = _pymqtt_sandbox.module_outside(entry, name.rpartition(".")[2])
                    if found is not None:
                        _refuse("import %s from %s, outside the sandbox's folder" % (name, found))
            if spec is not None:
                places = [spec.origin] if spec.has_location else []
                places.extend(spec.submodule_search_locations or ())
                for place in places:
                    if place:
                        _path(place, False)
            return spec

        @classmethod
        def invalidate_caches(cls):
            return path_finder.invalidate_caches()

    return FencedPathFinder


def install():
    _fence_imports()
    _fence_sockets()
    _fence_processes()
    _fence_files()
    _fence_os()
