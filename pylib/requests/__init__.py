# requests (`urequests` is the same module): HTTP the way MicroPython scripts do it, with
# micropython-lib's API:
#
#     import requests
#     r = requests.get("https://example.com/data.json", headers={"Accept": "application/json"},
#                      timeout=10)
#     print(r.status_code, r.reason, r.headers["Content-Type"], r.json())
#     r.close()
#     requests.post(url, json={"t": 21.5})          # sends Content-Type: application/json
#     requests.put(url, data=b"...", auth=("user", "password"))
#
# Built on sockets (socket.getaddrinfo, socket.socket, ssl), as MicroPython's is, rather than
# on http.client: the errors a script sees are then the socket's own, OSError with
# MicroPython's errno (111 refused, 110 timed out, -2 unknown host), and ValueError for a URL
# or an answer this module cannot use, as on MicroPython.
#
# Where it differs from micropython-lib's on purpose:
# - https verifies the server's certificate and name (ssl.create_default_context(): the
#   system's CAs, or those SSL_CERT_FILE names); micropython-lib's does not verify at all.
#   micropython-lib's request() takes no SSL context, so there is no per-call setting a
#   script could expect; a private CA is named through SSL_CERT_FILE.
# - Redirects end after _MAX_REDIRECTS (micropython-lib's recurse without limit), a relative
#   Location is resolved against the URL, the timeout and parse_headers carry over to the
#   new request, and Authorization is not sent on to another host.
# - Chunked answers are decoded; a body ends at its Content-Length even if the server keeps
#   the connection open.
# - Response.headers is a dict with the server's names whose lookups ignore case
#   (r.headers["content-type"] finds "Content-Type"); repeated fields are joined with ", ".
# - The caller's headers dict is not changed; an unanswered 3xx (300, 304, a redirect without
#   Location) is returned as a response rather than raising NotImplementedError.
#
# As on MicroPython: r.reason is bytes (b"OK"); the body is read when r.content, r.text,
# r.json() or r.raw asks for it (stream= is accepted and changes nothing), and the
# connection closes once the body has been read or r.close() is called.

import socket as _socket
from errno import EBADF, ETIMEDOUT

__all__ = ("Response", "request", "head", "get", "post", "put", "patch", "delete")

# How many redirects one request follows before giving up.
_MAX_REDIRECTS = 10
_REDIRECTS = (301, 302, 303, 307, 308)
# The longest line (status line or header field) and the most header fields read from an
# answer: a broken or hostile server must not make the script buffer without end.
_MAX_LINE = 65536
_MAX_FIELDS = 256
# How much one socket read asks for.
_RECV_SIZE = 16384

# The TLS context every https request uses, made at the first one: loading the system's CAs
# takes a while, and they do not change while a script runs.
_tls = None


def _tls_context():
    global _tls
    if _tls is None:
        import ssl

        _tls = ssl.create_default_context()
    return _tls


def _timed_out():
    # MicroPython's form of a socket timeout; CPython's sockets raise TimeoutError("timed
    # out"), which has no errno.
    return OSError(ETIMEDOUT, "ETIMEDOUT")


def _as_bytes(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode()


class _Headers(dict):
    """An answer's header fields: a dict keyed by the names as the server sent them, where a
    lookup may use any case (HTTP's names are case-insensitive, scripts spell them as they
    please)."""

    def _key(self, key):
        if dict.__contains__(self, key) or not isinstance(key, str):
            return key
        low = key.lower()
        for name in self:
            if name.lower() == low:
                return name
        return key

    def __getitem__(self, key):
        return dict.__getitem__(self, self._key(key))

    def __setitem__(self, key, value):
        dict.__setitem__(self, self._key(key), value)

    def __delitem__(self, key):
        dict.__delitem__(self, self._key(key))

    def __contains__(self, key):
        return dict.__contains__(self, self._key(key))

    def get(self, key, default=None):
        return dict.get(self, self._key(key), default)

    def pop(self, key, *default):
        return dict.pop(self, self._key(key), *default)


class _Connection:
    """One exchange's socket, read through a buffer: a line must be taken without what follows
    it, and a TLS socket cannot peek."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def _recv(self, size):
        try:
            return self.sock.recv(size)
        except TimeoutError:
            raise _timed_out() from None

    def readline(self):
        """A line with its b"\\n"; what is left at the end of the stream; b"" after it."""
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0:
                line = bytes(self.buffer[: end + 1])
                del self.buffer[: end + 1]
                return line
            if len(self.buffer) > _MAX_LINE:
                raise ValueError(
                    "HTTP error: a line of the answer is longer than {} bytes".format(_MAX_LINE)
                )
            start = len(self.buffer)
            chunk = self._recv(_RECV_SIZE)
            if not chunk:
                line = bytes(self.buffer)
                self.buffer.clear()
                return line
            self.buffer += chunk

    def some(self, size):
        """Up to `size` bytes, at least one unless the stream has ended."""
        if self.buffer:
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
            return data
        return self._recv(min(size, _RECV_SIZE))

    def close(self):
        self.sock.close()


class _Body:
    """A response's body as a MicroPython stream (Response.raw): read(), readinto() and
    readline() wait for what they ask or the end of the body. The chunked transfer coding is
    decoded; the body ends at its Content-Length, at the last chunk or, without either, when
    the server closes the connection. The connection closes when the body has been read."""

    def __init__(self, connection, length=None, chunked=False):
        self._connection = connection
        self._chunked = chunked
        # Bytes left: of the body (Content-Length), of the current chunk (chunked), or None
        # for a body that ends with the connection.
        self._left = 0 if chunked else length
        self._chunks_read = 0
        # What readline() took beyond its line.
        self._pending = b""
        self._done = False
        if length == 0 and not chunked:
            self._finish()

    def _finish(self):
        self._done = True
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _short(self):
        return ValueError("HTTP error: the connection closed before the end of the body")

    def _next_chunk(self):
        connection = self._connection
        if self._chunks_read and connection.readline() not in (b"\r\n", b"\n"):
            raise ValueError("HTTP error: a chunk of the body does not end where its size says")
        line = connection.readline()
        if not line:
            raise self._short()
        size = line.split(b";", 1)[0].strip()
        if not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise ValueError("HTTP error: bad chunk size {!r}".format(line))
        self._chunks_read += 1
        self._left = int(size.decode(), 16)
        if self._left == 0:
            # The last chunk; trailer fields, if any, come up to an empty line.
            while connection.readline() not in (b"\r\n", b"\n", b""):
                pass
            self._finish()

    def _some(self, size):
        """Up to `size` bytes of the body, at least one unless it has ended."""
        try:
            return self._take(size)
        except ValueError:
            # A broken body: nothing after it can be read from this connection either.
            self._finish()
            raise

    def _take(self, size):
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        if self._done or size <= 0:
            return b""
        if self._connection is None:
            # close()d: as reading a closed socket on MicroPython.
            raise OSError(EBADF, "EBADF")
        if self._chunked and self._left == 0:
            self._next_chunk()
            if self._done:
                return b""
        if self._left is not None:
            size = min(size, self._left)
        data = self._connection.some(size)
        if not data:
            if self._left is None:
                self._finish()
                return b""
            raise self._short()
        if self._left is not None:
            self._left -= len(data)
            if self._left == 0 and not self._chunked:
                self._finish()
        return data

    def read(self, size=-1):
        """`size` bytes (fewer only at the end of the body); all of it without a size."""
        parts = []
        got = 0
        while size is None or size < 0 or got < size:
            want = _RECV_SIZE if size is None or size < 0 else size - got
            data = self._some(want)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def readinto(self, buf, size=None):
        view = memoryview(buf).cast("B")
        if size is not None:
            view = view[:size]
        got = 0
        while got < len(view):
            data = self._some(len(view) - got)
            if not data:
                break
            view[got : got + len(data)] = data
            got += len(data)
        return got

    def readline(self):
        line = b""
        while True:
            data = self._some(_RECV_SIZE)
            if not data:
                return line
            end = data.find(b"\n") + 1
            if end:
                self._pending = data[end:] + self._pending
                return line + data[:end]
            line += data

    def close(self):
        self._pending = b""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class Response:
    """An answer: status_code (int), reason (bytes, as on MicroPython), headers (dict), url
    (where it came from, after redirects), and the body through content, text, json() or
    raw (a stream)."""

    def __init__(self, raw, status_code, reason, headers, url):
        self.raw = raw
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.url = url
        self.encoding = "utf-8"
        self._content = None

    def close(self):
        if self.raw is not None:
            self.raw.close()
            self.raw = None

    @property
    def content(self):
        if self._content is None:
            if self.raw is None:
                # Closed before its body was read: as reading a closed socket on MicroPython.
                raise OSError(EBADF, "EBADF")
            try:
                self._content = self.raw.read()
            finally:
                self.close()
        return self._content

    @property
    def text(self):
        return str(self.content, self.encoding)

    def json(self):
        import json

        return json.loads(self.content)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<Response [{}]>".format(self.status_code)


def _split_url(url):
    """(scheme, authority, host, port, target, the scheme's port) of an http:// or https://
    URL."""
    if isinstance(url, (bytes, bytearray)):
        url = bytes(url).decode()
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ValueError("not an http:// or https:// URL: {!r}".format(url))
    if scheme == "http":
        default_port = 80
    elif scheme == "https":
        default_port = 443
    else:
        # micropython-lib's message.
        raise ValueError("Unsupported protocol: " + scheme + ":")
    end = len(rest)
    for c in "/?#":
        i = rest.find(c)
        if 0 <= i < end:
            end = i
    authority, target = rest[:end], rest[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    if "@" in authority:
        raise ValueError("a user name and password go in auth=(user, password), not in the URL")
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        port = after[1:] if after.startswith(":") else after
    else:
        host, _, port = authority.partition(":")
    if not host:
        raise ValueError("no host in the URL {!r}".format(url))
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("bad port {!r} in the URL {!r}".format(port, url))
        port = int(port)
    else:
        port = default_port
    return scheme, authority, host, port, target, default_port


def _request_target(target):
    # A space, a control character or a non-ASCII letter would break the request line (or
    # inject one): they go percent-encoded, as UTF-8.
    out = []
    for b in target.encode():
        out.append("%{:02X}".format(b) if b <= 0x20 or b >= 0x7F else chr(b))
    return "".join(out)


def _resolve(base, location):
    """The URL a Location field names, resolved against the URL that answered."""
    location = location.strip()
    colon = location.find(":")
    if colon > 0 and all(c.isalnum() or c in "+-." for c in location[:colon]):
        return location
    scheme, authority, _, _, target, _ = _split_url(base)
    if location.startswith("//"):
        return scheme + ":" + location
    path = target.partition("?")[0]
    if location.startswith("/"):
        new = location
    elif location.startswith("?"):
        new = path + location
    elif not location:
        new = target
    else:
        new = path.rsplit("/", 1)[0] + "/" + location
    # Dot segments ("../x", "./x") as a browser resolves them.
    path, sep, query = new.partition("?")
    parts = []
    for part in path.split("/")[1:]:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    if path.split("/")[-1] in (".", ".."):
        parts.append("")
    return scheme + "://" + authority + "/" + "/".join(parts) + sep + query


def _connect(host, port, timeout):
    # Every address the name has, in order (localhost may be ::1 first while the server
    # listens on 127.0.0.1 only); the last error if none answers.
    error = None
    addresses = _socket.getaddrinfo(host, port, 0, _socket.SOCK_STREAM)
    for family, kind, proto, _, address in addresses:
        sock = _socket.socket(family, kind, proto)
        try:
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except TimeoutError:
            sock.close()
            error = _timed_out()
        except OSError as e:
            sock.close()
            error = e
        except BaseException:
            sock.close()
            raise
    raise error


def _send(sock, data):
    try:
        sock.sendall(data)
    except TimeoutError:
        raise _timed_out() from None


def _field_line(name, value):
    name, value = _as_bytes(name), _as_bytes(value)
    if any(c in name for c in b"\r\n:") or b"\r" in value or b"\n" in value:
        raise ValueError("bad header field {!r}: {!r}".format(name, value))
    return name + b": " + value + b"\r\n"


def _read_head(connection):
    """(status, reason, [(name bytes, value bytes, the line as received)]) of the answer,
    past any 1xx interim answers."""
    while True:
        line = connection.readline()
        if not line:
            raise ValueError("HTTP error: the server closed the connection without an answer")
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise ValueError("HTTP error: BadStatusLine: {!r}".format(line))
        status = int(parts[1])
        reason = parts[2].rstrip() if len(parts) > 2 else b""
        fields = []
        while True:
            line = connection.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            if len(fields) >= _MAX_FIELDS:
                raise ValueError("HTTP error: more than {} header fields".format(_MAX_FIELDS))
            if line[:1] in (b" ", b"\t") and fields:
                # An obsolete folded line continues the field before it.
                name, value, raw = fields[-1]
                fields[-1] = (name, value + b" " + line.strip(), raw + line)
                continue
            name, colon, value = line.partition(b":")
            if not colon:
                raise ValueError("HTTP error: bad header line {!r}".format(line))
            fields.append((name.strip(), value.strip(), line))
        if not 100 <= status < 200 or status == 101:
            return status, reason, fields


def _text(value):
    try:
        return value.decode()
    except UnicodeError:
        return value.decode("latin-1")


def _fields(fields, parse_headers):
    """(the headers the Response shows, Location, Content-Length, whether chunked) of an
    answer's fields. The body's framing and Location are read whatever parse_headers says."""
    location = None
    length = None
    chunked = False
    shown = _Headers()
    for name, value, line in fields:
        low = name.lower()
        if low == b"location":
            location = _text(value)
        elif low == b"transfer-encoding":
            # Chunked is the last coding when it is there at all.
            chunked = value.lower().rstrip().endswith(b"chunked")
        elif low == b"content-length":
            if not value.isdigit() or (length is not None and length != int(value)):
                raise ValueError("HTTP error: bad Content-Length {!r}".format(value))
            length = int(value)
        if parse_headers is True:
            name, value = _text(name), _text(value)
            shown[name] = shown[name] + ", " + value if name in shown else value
        elif parse_headers:
            parse_headers(line, shown)
    return shown, location, length, chunked


def _exchange(method, url, headers, body, content_type, authorization, timeout, parse_headers):
    """One request and its answer's head: (Response, Location or None)."""
    scheme, _, host, port, target, default_port = _split_url(url)
    host_field = "[{}]".format(host) if ":" in host else host
    if port != default_port:
        host_field += ":{}".format(port)
    # The caller's fields by lower-case name: what they give, this module does not add.
    given = {_text(_as_bytes(name)).lower(): name for name in headers}
    if authorization is not None:
        given.pop("authorization", None)

    head = [_as_bytes(method) + b" " + _request_target(target).encode() + b" HTTP/1.1\r\n"]
    if "host" not in given:
        head.append(_field_line("Host", host_field))
    for name in given.values():
        head.append(_field_line(name, headers[name]))
    if authorization is not None:
        head.append(_field_line("Authorization", authorization))
    if content_type is not None and "content-type" not in given:
        head.append(_field_line("Content-Type", content_type))
    chunked = False
    if body is None or isinstance(body, bytes):
        # A POST, PUT or PATCH says its length even without a body: some servers refuse
        # such a request without one (411 Length Required).
        if "content-length" not in given and (
            body or method.upper() in ("POST", "PUT", "PATCH")
        ):
            head.append(_field_line("Content-Length", len(body or b"")))
    else:
        if "transfer-encoding" in given:
            value = _as_bytes(headers[given["transfer-encoding"]])
            chunked = b"chunked" in value.lower()
        elif "content-length" not in given:
            head.append(b"Transfer-Encoding: chunked\r\n")
            chunked = True
    if "connection" not in given:
        # One request per connection, as micropython-lib: the body may end with it.
        head.append(b"Connection: close\r\n")
    head.append(b"\r\n")

    sock = _connect(host, port, timeout)
    try:
        if scheme == "https":
            try:
                sock = _tls_context().wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                raise _timed_out() from None
        _send(sock, b"".join(head))
        if isinstance(body, bytes):
            if body:
                _send(sock, body)
        elif body is not None:
            for part in body:
                part = _as_bytes(part)
                if not chunked:
                    _send(sock, part)
                elif part:
                    _send(sock, "{:x}\r\n".format(len(part)).encode() + part + b"\r\n")
            if chunked:
                _send(sock, b"0\r\n\r\n")
        connection = _Connection(sock)
        status, reason, fields = _read_head(connection)
    except BaseException:
        sock.close()
        raise

    try:
        shown, location, length, transfer_chunked = _fields(fields, parse_headers)
    except BaseException:
        connection.close()
        raise
    if method.upper() == "HEAD" or status in (204, 304):
        raw = _Body(connection, length=0)
    elif transfer_chunked:
        raw = _Body(connection, chunked=True)
    else:
        raw = _Body(connection, length=length)
    return Response(raw, status, reason, shown, url), location


def request(
    method,
    url,
    data=None,
    json=None,
    headers=None,
    stream=None,
    auth=None,
    timeout=None,
    parse_headers=True,
):
    """Sends one request (following redirects) and returns its Response. data: str, bytes,
    or an iterator of them (sent chunked); json: any value json.dumps takes; auth:
    (user, password) for basic authentication; timeout: seconds for the connection and each
    read; parse_headers: True (a dict), False (none), or f(line, headers) called per field."""
    if isinstance(method, (bytes, bytearray)):
        method = bytes(method).decode()
    if headers is None:
        headers = {}
    content_type = None
    if json is not None:
        if data is not None:
            raise ValueError("give data= or json=, not both")
        import json as _json

        data = _json.dumps(json)
        content_type = "application/json"
    if data is None:
        body = None
    elif isinstance(data, (str, bytes, bytearray, memoryview)):
        body = _as_bytes(data)
    elif getattr(data, "__next__", None) is not None and getattr(data, "__len__", None) is None:
        # An iterator (a generator, a file): sent as it comes, in chunks, as micropython-lib.
        body = data
    else:
        raise TypeError(
            "data= takes str, bytes or an iterator of them, not {} (json= sends a dict "
            "as JSON)".format(type(data).__name__)
        )
    authorization = None
    if auth is not None:
        import binascii

        user, password = auth
        token = binascii.b2a_base64(_as_bytes(user) + b":" + _as_bytes(password))
        authorization = "Basic " + token.strip().decode()

    for _ in range(_MAX_REDIRECTS + 1):
        response, location = _exchange(
            method, url, headers, body, content_type, authorization, timeout, parse_headers
        )
        if response.status_code not in _REDIRECTS or not location:
            return response
        response.close()
        target = _resolve(url, location)
        if response.status_code in (301, 302, 303) and method.upper() != "HEAD":
            # As browsers and micropython-lib: the new request is a GET, without the body.
            method, body, content_type = "GET", None, None
            headers = {
                name: value
                for name, value in headers.items()
                if _text(_as_bytes(name)).lower()
                not in ("content-length", "content-type", "transfer-encoding")
            }
        elif body is not None and not isinstance(body, bytes):
            raise ValueError(
                "HTTP error: {} redirect to {}: a body sent from an iterator cannot be sent "
                "again".format(response.status_code, target)
            )
        if _split_url(target)[2:4] != _split_url(url)[2:4]:
            # Credentials are for the host they were given for.
            authorization = None
            headers = {
                name: value
                for name, value in headers.items()
                if _text(_as_bytes(name)).lower() != "authorization"
            }
        url = target
    raise ValueError(
        "HTTP error: more than {} redirects, the last to {}".format(_MAX_REDIRECTS, url)
    )


def head(url, **kw):
    return request("HEAD", url, **kw)


def get(url, **kw):
    return request("GET", url, **kw)


def post(url, **kw):
    return request("POST", url, **kw)


def put(url, **kw):
    return request("PUT", url, **kw)


def patch(url, **kw):
    return request("PATCH", url, **kw)


def delete(url, **kw):
    return request("DELETE", url, **kw)
