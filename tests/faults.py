"""A scripted HTTP server on 127.0.0.1 for network faults (stalls, drips, cut bodies).

Each request is answered by a script writing raw bytes to the socket, so a
test can send what no well-behaved server sends.  The server runs in a thread
and stops by itself: every loop is bounded (accept polls, a drip has an end,
a stall waits a few seconds at most), and leaving the ``with`` block joins it.
"""

from __future__ import annotations

import contextlib
import gzip
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: The longest a script waits for the client (a stall, a drip): bounded, so
#: the server stops by itself even when the client never hangs up.
PATIENCE = 10.0


@dataclass
class Seen:
    """What the server saw."""

    #: The head of each request, as received.
    requests: list[str] = field(default_factory=list)
    #: Whether a client hung up before a script had sent everything.
    abandoned: threading.Event = field(default_factory=threading.Event)


#: A script: ``(connection, request head, what the server saw)``.
Script = Callable[[socket.socket, str, Seen], None]


@dataclass
class FaultServer:
    """A running server: its base URL and what it saw."""

    base: str
    seen: Seen


@contextlib.contextmanager
def fault_server(routes: dict[str, Script]) -> Iterator[FaultServer]:
    """Serve ``routes`` (``{path: script}``) on 127.0.0.1 from a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    seen = Seen()
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                _answer(conn, routes, seen)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield FaultServer(f"http://127.0.0.1:{listener.getsockname()[1]}", seen)
    finally:
        stop.set()
        thread.join(PATIENCE + 5)
        listener.close()


def _answer(conn: socket.socket, routes: dict[str, Script], seen: Seen) -> None:
    conn.settimeout(5)
    head = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in head and len(head) < 65536:
            data = conn.recv(4096)
            if not data:
                return
            head += data
    text = head.decode("latin-1")
    seen.requests.append(text)
    path = text.split(" ", 2)[1] if text.count(" ") >= 2 else "/"
    script = routes.get(path.split("?")[0], not_found)
    with contextlib.suppress(OSError):
        script(conn, text, seen)


def hung_up(conn: socket.socket) -> bool:
    """Whether the client has closed its end (without waiting)."""
    readable, _, _ = select.select([conn], [], [], 0)
    if not readable:
        return False
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def head(status: str = "200 OK", **headers: str | int) -> bytes:
    """A response head."""
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def not_found(conn: socket.socket, request: str, seen: Seen) -> None:
    conn.sendall(head("404 Not Found", Content_Length=0))


def body(data: bytes, **headers: str | int) -> Script:
    """A plain answer: ``data`` with a right Content-Length."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head(Content_Length=len(data), **headers) + data)

    return script


def gzipped(data: bytes) -> Script:
    """``data`` compressed with gzip, said so."""
    return body(gzip.compress(data), Content_Encoding="gzip")


def corrupt_gzip(data: bytes) -> Script:
    """Said to be gzip, but the bytes after the header are garbage."""
    packed = bytearray(gzip.compress(data))
    packed[10:] = bytes((b ^ 0x5A) for b in packed[10:])
    return body(bytes(packed), Content_Encoding="gzip")


def cut_gzip(data: bytes) -> Script:
    """The first half of a gzip stream, with a Content-Length that matches it
    (only the stream itself shows it is cut short)."""
    packed = gzip.compress(data)
    return body(packed[: len(packed) // 2], Content_Encoding="gzip")


def truncated(data: bytes) -> Script:
    """A Content-Length of all of ``data``, half of it sent, then the connection closed."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head(Content_Length=len(data)) + data[: len(data) // 2])

    return script


def cut_chunked(data: bytes) -> Script:
    """A chunked body whose last chunk never comes."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        half = data[: len(data) // 2]
        conn.sendall(head(Transfer_Encoding="chunked") + b"%x\r\n" % len(half) + half + b"\r\n")

    return script


def stall(data: bytes) -> Script:
    """Half the body, then nothing until the client hangs up (or :data:`PATIENCE`)."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head(Content_Length=len(data)) + data[: len(data) // 2])
        end = time.monotonic() + PATIENCE
        while time.monotonic() < end:
            if hung_up(conn):
                seen.abandoned.set()
                return
            time.sleep(0.05)

    return script


def drip(data: bytes, every: float) -> Script:
    """The body one byte every ``every`` seconds; notes a client that hangs up first."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head(Content_Length=len(data)))
        for i in range(len(data)):
            if hung_up(conn):
                seen.abandoned.set()
                return
            conn.sendall(data[i : i + 1])
            time.sleep(every)

    return script


def redirect(location: str) -> Script:
    """A redirect to ``location``."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head("302 Found", Location=location, Content_Length=0))

    return script


def status(code: str) -> Script:
    """An error status (``"500 Internal Server Error"``)."""

    def script(conn: socket.socket, request: str, seen: Seen) -> None:
        conn.sendall(head(code, Content_Length=2) + b"no")

    return script
