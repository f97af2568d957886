"""Three small patches to httpcore's internals that cut a dispatch's client CPU (issue 3: against plain httpx posts).

Each is applied once per process by :func:`apply_httpcore_patches` (the shared client, adapters.http_client), only to
httpcore 1.x (pyproject pins it below 2: these read its private modules) and only where what it replaces is as
expected; otherwise httpcore runs as it is. Each keeps httpcore's behaviour: the same errors, the same yields to
the event loop, the same checks; tests/execution/test_http_streams.py and test_http_pool.py hold them to it."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any

import anyio


def apply_httpcore_patches() -> None:
    try:
        import httpcore
    except ImportError:  # pragma: no cover - httpx without httpcore: nothing to patch
        return
    if not str(getattr(httpcore, "__version__", "")).startswith("1."):  # another major: its internals unknown
        return
    free_locks_without_a_yield()
    readable_without_attribute_maps()
    socket_io_without_open_deadlines()


def free_locks_without_a_yield() -> None:
    """httpcore's connection locks taken at once when free (anyio's ``fast_acquire``), not after a yield.

    httpcore guards each connection with anyio locks, whose acquire yields to the event loop even when the lock
    is free. Between the pool handing a request an idle connection and the request marking it busy there are two
    such yields, and a request started meanwhile (a batch's tasks start together, and one as each call ends) is
    handed the same connection: all but one find it busy (ConnectionNotAvailable, inside httpcore) and run the
    pool's assignment again, which asks every pooled connection whether it has expired (a getpeername and a poll
    each). In a 20-task batch that was 2.4 times a request, about 1.5M of a task's 6.4M instructions (encode/httpx
    issue 3215; httpcore made this change in #953 and reverted it in #1002, not for a defect; pydantic/httpx2 #970
    took it again). Taken at once, a free lock lets a request mark its connection busy before another task runs; a
    held lock is still waited for, and each request still yields as it writes and reads its socket.

    Applied once per process to httpcore's AsyncLock, when it and anyio (4.5 and later) are as expected; if not,
    nothing changes."""
    try:
        from httpcore import _synchronization as sync
    except ImportError:  # pragma: no cover - another httpcore layout: its locks as they are
        return
    lock = getattr(sync, "AsyncLock", None)
    setup = getattr(lock, "setup", None)
    if setup is None or getattr(setup, "without_a_yield", False):
        return
    if "fast_acquire" not in inspect.signature(anyio.Lock).parameters:  # anyio before 4.5
        return

    def setup_without_a_yield(self: object) -> None:
        setup(self)
        if getattr(self, "_backend", None) == "asyncio" and hasattr(self, "_anyio_lock"):
            self._anyio_lock = anyio.Lock(fast_acquire=True)  # type: ignore[attr-defined]

    setup_without_a_yield.without_a_yield = True  # type: ignore[attr-defined]
    lock.setup = setup_without_a_yield  # type: ignore[union-attr]


def readable_without_attribute_maps() -> None:
    """httpcore's check that an idle pooled connection was not closed by the server, on the stream's socket found once.

    Before each request is handed a connection, and again as its response is closed, the pool asks every pooled
    connection whether it has expired; an idle one answers by asking its stream's raw socket whether it is readable
    (a poll). httpcore finds that socket through anyio's typed attributes each time, and anyio builds a stream's
    whole attribute map for each look-up: a dict of lambdas and a getpeername system call, twice a request (0.3% of
    a dispatch's instructions, and two of its system calls). A stream's raw socket never changes, so it is looked up
    once per stream, by the same look-up, and kept on the stream; the poll runs every time, as before.

    Applied once per process to httpcore's AnyIOStream, when it is as expected (httpcore 1.0); if not, nothing
    changes."""
    try:
        from httpcore._backends import anyio as backend
    except ImportError:  # pragma: no cover - another httpcore layout: its look-up as it is
        return
    stream = getattr(backend, "AnyIOStream", None)
    look_up = getattr(stream, "get_extra_info", None)
    readable = getattr(backend, "is_socket_readable", None)
    if look_up is None or readable is None or getattr(look_up, "socket_kept", False):
        return

    def get_extra_info(self: Any, info: str) -> Any:
        if info != "is_readable":
            return look_up(self, info)
        try:
            sock = self._switchboard_socket
        except AttributeError:
            sock = look_up(self, "socket")  # what httpcore's is_readable looks up
            with contextlib.suppress(AttributeError):  # a stream with __slots__: looked up each time, as httpcore
                self._switchboard_socket = sock
        return readable(sock)

    get_extra_info.socket_kept = True  # type: ignore[attr-defined]
    stream.get_extra_info = get_extra_info  # type: ignore[union-attr]


def socket_io_without_open_deadlines() -> None:
    """httpcore's socket reads and writes that have no timeout, run without a cancel scope that has no deadline.

    httpcore wraps each read and write of a connection in ``anyio.fail_after(timeout)``. Our calls give httpx no
    read or write timeout (providers._http: their deadline is the whole call's cancel scope), so each of a
    request's writes (headers, body) and reads set up two generator context managers and a cancel scope whose
    deadline is never, which can raise nothing. A read or write without a timeout now runs as httpcore runs it
    minus that scope: the same errors mapped the same way (httpcore's ``map_exceptions``, its own maps); with a
    timeout it is httpcore's own method. Each read and write still yields to the event loop as often as before:
    the scope is entered and left by a plain ``with``, which never yields; anyio's ``receive`` and ``send`` do.

    Applied once per process to httpcore's AnyIOStream, when it is as expected (httpcore 1.0); if not, nothing
    changes."""
    try:
        from httpcore._backends import anyio as backend
    except ImportError:  # pragma: no cover - another httpcore layout: its reads and writes as they are
        return
    stream = getattr(backend, "AnyIOStream", None)
    read, write = getattr(stream, "read", None), getattr(stream, "write", None)
    names = ("map_exceptions", "ReadError", "ReadTimeout", "WriteError", "WriteTimeout")
    if read is None or write is None or not all(hasattr(backend, n) for n in names):
        return
    if getattr(read, "open_deadline_skipped", False):
        return
    map_exceptions = backend.map_exceptions
    read_errors = {TimeoutError: backend.ReadTimeout, anyio.BrokenResourceError: backend.ReadError,
                   anyio.ClosedResourceError: backend.ReadError, anyio.EndOfStream: backend.ReadError}
    write_errors = {TimeoutError: backend.WriteTimeout, anyio.BrokenResourceError: backend.WriteError,
                    anyio.ClosedResourceError: backend.WriteError}

    async def read_without_open_deadline(self: Any, max_bytes: int, timeout: float | None = None) -> bytes:
        if timeout is not None:
            return await read(self, max_bytes, timeout)
        with map_exceptions(read_errors):
            try:
                return await self._stream.receive(max_bytes=max_bytes)
            except anyio.EndOfStream:  # as httpcore's: the end of the stream reads as no bytes
                return b""

    async def write_without_open_deadline(self: Any, buffer: bytes, timeout: float | None = None) -> None:
        if timeout is not None:
            return await write(self, buffer, timeout)
        if not buffer:
            return None
        with map_exceptions(write_errors):
            await self._stream.send(item=buffer)
        return None

    read_without_open_deadline.open_deadline_skipped = True  # type: ignore[attr-defined]
    stream.read = read_without_open_deadline  # type: ignore[union-attr]
    stream.write = write_without_open_deadline  # type: ignore[union-attr]
