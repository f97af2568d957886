"""httpcore_patches touches httpcore 1.x only, and a stream that cannot keep its socket still answers."""

from __future__ import annotations

import socket

import httpcore
from httpcore._backends.anyio import AnyIOStream

from router_core.execution import httpcore_patches


def test_another_major_version_of_httpcore_is_left_as_it_is(monkeypatch) -> None:
    applied = []
    for name in ("free_locks_without_a_yield", "readable_without_attribute_maps", "socket_io_without_open_deadlines"):
        monkeypatch.setattr(httpcore_patches, name, lambda name=name: applied.append(name))
    monkeypatch.setattr(httpcore, "__version__", "2.0.0")
    httpcore_patches.apply_httpcore_patches()
    assert applied == []
    monkeypatch.setattr(httpcore, "__version__", "1.0.9")
    httpcore_patches.apply_httpcore_patches()
    assert len(applied) == 3


def test_a_stream_with_slots_looks_its_socket_up_each_time() -> None:
    httpcore_patches.readable_without_attribute_maps()

    class Extra:
        def __init__(self, sock: socket.socket) -> None:
            self.sock, self.looked_up = sock, 0

        def extra(self, attribute, default=None):
            self.looked_up += 1
            return self.sock

    class SlottedStream:  # what a future AnyIOStream with __slots__ would be: no room for the kept socket
        __slots__ = ("_stream",)

    left, right = socket.socketpair()
    with left, right:
        stream = SlottedStream()
        stream._stream = Extra(left)
        assert AnyIOStream.get_extra_info(stream, "is_readable") is False
        right.close()  # the server closed it: readable (end of stream)
        assert AnyIOStream.get_extra_info(stream, "is_readable") is True
        assert stream._stream.looked_up == 2
