"""Tests of reading what a dead connection left in the socket (engine.leftovers); the
end-to-end cases, plain and TLS, are in test_connection.py and test_tls.py."""

from __future__ import annotations

import select
import socket
import struct

from inspector.engine.leftovers import read_leftovers


def test_everything_before_the_reset_is_read_without_blocking() -> None:
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(server.getsockname()) as ours:
        theirs, _ = server.accept()
        ours.setblocking(False)
        ours.sendall(b"unread by the peer")  # makes its close a reset
        theirs.sendall(b"close frame")
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        theirs.close()
        poller = select.poll()
        poller.register(ours.fileno(), select.POLLERR | select.POLLHUP)
        assert poller.poll(3000), "the reset never arrived"
        assert b"".join(read_leftovers(ours)) == b"close frame"
        assert read_leftovers(ours) == []
        assert ours.fileno() >= 0  # a duplicate was read; ours is still open


def test_nothing_to_read_and_limits() -> None:
    first, second = socket.socketpair()
    with first, second:
        first.setblocking(False)
        assert read_leftovers(first) == []  # nothing yet: no waiting
        second.sendall(b"x" * 1000)
        assert b"".join(read_leftovers(first, limit=10)) == b"x" * 10
    assert read_leftovers(first) == []  # closed
    assert read_leftovers(None) == []
