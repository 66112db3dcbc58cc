# mip: installs packages from micropython-lib's index (or any index in its format), as
# MicroPython's mip does, into ~/.micropython/lib, where scripts import them from.
#
#     import mip
#     mip.install("pkgname")                       # latest version, default index
#     mip.install("pkgname", version="1.0", index="http://host/pi/v2", target="lib")
#     mip.install("github:org/repo/file.py")       # a single file, or a package.json URL
#
# The index format (micropython-lib's tools/build.py makes it):
#   {index}/package/{mpy_version}/{name}/{version}.json  ->  {"hashes": [[path, short_hash]...],
#                                                            "urls": [[path, url]...],
#                                                            "deps": [[name, version]...]}
#   {index}/file/{short_hash[:2]}/{short_hash}           ->  a file's bytes
# where short_hash is the start of the file's sha256 in hex. pymqtt always asks for the
# "py" (source) flavour: RustPython runs Python source, not MicroPython's .mpy bytecode.
#
# Differences from MicroPython's mip, on purpose: packages pymqtt already has (umqtt.simple,
# umqtt.robust, the standard library) are reported "already built in" and not downloaded;
# downloaded files are checked against their hash; install() returns True or False; errors
# go to stderr.

import sys

_PACKAGE_INDEX = "https://micropython.org/pi/v2"

# Seconds to wait for the index server to connect or answer.
_TIMEOUT = 30

# How many redirects a download follows.
_MAX_REDIRECTS = 5

# MicroPython package names that pymqtt provides itself. Anything else that imports without
# sys.path (a built-in or frozen module, e.g. the standard library) counts as built in too.
BUILT_IN = (
    "umqtt",
    "umqtt.simple",
    "umqtt.robust",
    "mip",
    "mip-cmdline",
    "upip",
    "micropython",
    "machine",
    "ssl",
    "requests",
    "urequests",
    "time",
    "json",
    "gc",
    "socket",
    "select",
    "struct",
    "binascii",
    "hashlib",
    "os",
    "sys",
    "errno",
    "io",
    "random",
    "re",
    "collections",
)

# Packages that cannot work in this build whatever gets installed, and why.
UNAVAILABLE = {
    "tls": "pymqtt has no `tls` module: use `ssl`, which it has (with TLS sockets)",
}

# Short names for files in git hosting services (mip's own list); all are https.
_HOSTS = {
    "codeberg:": "https://codeberg.org/api/v1/repos/{}/{}/raw/{p}?ref={}",
    "github:": "https://raw.githubusercontent.com/{}/{}/{}/{p}",
    "gitlab:": "https://gitlab.com/{}/{}/-/raw/{}/{p}",
}

_URL_PREFIXES = ("http://", "https://", "codeberg:", "github:", "gitlab:")


class InstallError(Exception):
    """A package could not be installed; the message says why."""


def install(package, index=None, target=None, version=None, mpy=True):
    """Installs `package` (a name, optionally "name@version", or a URL) and its
    dependencies into `target` (default: the first sys.path entry ending in /lib, i.e.
    ~/.micropython/lib). Returns True when everything is in place. `mpy` is accepted for
    compatibility and ignored: pymqtt always installs .py sources."""
    if not target:
        target = default_target()
        if target is None:
            print("Unable to find lib dir in sys.path", file=sys.stderr)
            return False
    if not index:
        index = _PACKAGE_INDEX
    if not version and "@" in package and not _is_url(package):
        package, version = package.split("@", 1)
    installer = _Installer(index.rstrip("/"), target.rstrip("/") or "/")
    try:
        installer.package(package, version)
    except InstallError as e:
        print("mip: error: {}".format(e), file=sys.stderr)
        if installer.files_written:
            print("Package may be partially installed", file=sys.stderr)
        return False
    # A lib folder that did not exist when the interpreter started is remembered as "nothing
    # here"; forget that, so the package imports in this same session.
    import importlib

    importlib.invalidate_caches()
    print("Done")
    return True


def default_target():
    """Where packages go when no target is given, as MicroPython's mip decides it."""
    for p in sys.path:
        if not p.startswith("/rom") and p.endswith("/lib"):
            return p
    return None


def is_built_in(name):
    """Whether pymqtt already provides the package `name` (so installing it would change
    nothing: built-in and frozen modules are found before anything on sys.path)."""
    if name in BUILT_IN:
        return True
    # micropython-lib names extensions of a module "module-extension" (os-path,
    # collections-defaultdict, hashlib-sha256): the full module here has them.
    module = name.partition("-")[0]
    try:
        return _imports_without_path(module.partition(".")[0]) and _imports_without_path(
            module
        )
    except (ImportError, ValueError):
        return False


def _imports_without_path(module):
    import importlib.util

    spec = importlib.util.find_spec(module)
    return spec is not None and spec.origin in ("built-in", "frozen")


def _is_url(package):
    return any(package.startswith(p) for p in _URL_PREFIXES)


class _Installer:
    """One install(): where from, where to, and what it has done so far."""

    def __init__(self, index, target):
        self.index = index
        self.target = target
        self.files_written = 0
        # Packages already handled, so that a dependency cycle ends.
        self.done = set()

    def package(self, package, version):
        if package in self.done:
            return
        self.done.add(package)
        if _is_url(package):
            self._url(package, version)
            return
        if package in UNAVAILABLE:
            raise InstallError("{}: {}".format(package, UNAVAILABLE[package]))
        if is_built_in(package):
            print("{}: already built in to pymqtt, nothing to install".format(package))
            return
        if not version:
            version = "latest"
        print("Installing {} ({}) from {} to {}".format(package, version, self.index, self.target))
        url = "{}/package/py/{}/{}.json".format(self.index, package, version)
        self._package_json(url, version, name=package)

    def _url(self, package, version):
        if package.endswith(".mpy"):
            raise InstallError(
                "{}: .mpy files are MicroPython bytecode, which pymqtt cannot run; "
                "install the .py file".format(package)
            )
        if package.endswith(".py"):
            print("Downloading {} to {}".format(package, self.target))
            dest = self.target + "/" + package.rsplit("/", 1)[-1]
            self._write(dest, _download(_rewrite_url(package, version)))
            return
        if not package.endswith(".json"):
            if not package.endswith("/"):
                package += "/"
            package += "package.json"
        print("Installing {} to {}".format(package, self.target))
        self._package_json(package, version)

    def _package_json(self, url, version, name=None):
        import json

        status, body = _get(_rewrite_url(url, version))
        if status == 404 and name is not None:
            raise InstallError(
                "package {!r} (version {}) not found in the index {} ({})".format(
                    name, version, self.index, url
                )
            )
        if status != 200:
            raise InstallError("HTTP {} for {}".format(status, url))
        try:
            package_json = json.loads(body)
        except ValueError as e:
            raise InstallError("{} is not a package description: {}".format(url, e))

        for target_path, short_hash in package_json.get("hashes", ()):
            dest = self._destination(target_path)
            if _has_hash(dest, short_hash):
                print("Exists:", dest)
                continue
            file_url = "{}/file/{}/{}".format(self.index, short_hash[:2], short_hash)
            data = _download(file_url)
            if _sha256_hex(data)[: len(short_hash)] != short_hash:
                raise InstallError(
                    "{} ({}) does not match its hash {}".format(target_path, file_url, short_hash)
                )
            self._write(dest, data)

        base_url = url.rpartition("/")[0]
        for target_path, file_url in package_json.get("urls", ()):
            dest = self._destination(target_path)
            if base_url and not _is_url(file_url):
                file_url = "{}/{}".format(base_url, file_url)  # relative to the package.json
            self._write(dest, _download(_rewrite_url(file_url, version)))

        for dep, dep_version in package_json.get("deps", ()):
            self.package(dep, dep_version)

    def _destination(self, target_path):
        # A package description names the files it installs; none may land outside the target.
        parts = target_path.split("/")
        if not target_path or target_path.startswith("/") or ".." in parts:
            raise InstallError("refusing to install a file to {!r}".format(target_path))
        return self.target + "/" + target_path

    def _write(self, path, data):
        import os

        print("Copying:", path)
        folder = path.rpartition("/")[0]
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.files_written += 1


def _rewrite_url(url, branch=None):
    # "github:org/repo/path/file.py" -> the raw file URL on the default branch (or `branch`).
    for prefix, url_format in _HOSTS.items():
        if url.startswith(prefix):
            parts = url[len(prefix) :].split("/")
            return url_format.format(parts[0], parts[1], branch or "HEAD", p="/".join(parts[2:]))
    return url


def _has_hash(path, short_hash):
    try:
        with open(path, "rb") as f:
            return _sha256_hex(f.read())[: len(short_hash)] == short_hash
    except OSError:
        return False


def _sha256_hex(data):
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _download(url):
    status, body = _get(url)
    if status != 200:
        raise InstallError("HTTP {} for {}".format(status, url))
    return body


def _get(url):
    """(status, body) of a GET of `url`, following redirects."""
    import http.client
    import urllib.parse

    for _ in range(_MAX_REDIRECTS + 1):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https":
            # Verified against the system's CAs (SSL_CERT_FILE/SSL_CERT_DIR name others).
            connection_class = http.client.HTTPSConnection
        elif parts.scheme == "http":
            connection_class = http.client.HTTPConnection
        else:
            raise InstallError("cannot download {!r}: only http and https URLs".format(url))
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection = connection_class(parts.hostname, parts.port, timeout=_TIMEOUT)
        try:
            connection.request("GET", path, headers={"User-Agent": "pymqtt-mip"})
            response = connection.getresponse()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                continue
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as e:
            raise InstallError("cannot download {}: {}".format(url, e))
        finally:
            connection.close()
    raise InstallError("too many redirects for {}".format(url))
