"""Reading what a dead connection left in the socket buffer.

When a write fails (EPIPE, ECONNRESET), asyncio's socket transport stops reading at
once (``_fatal_error`` -> ``_force_close`` removes the reader) and reports the
connection lost. Whatever the peer sent before the connection died may still sit in
the kernel's receive buffer: typically the close frame of a server that failed the
connection and then reset it because our next frame arrived unread. Linux keeps that
data readable after a reset, so it is read here, without blocking, and handed to the
protocol before the end is reported. Otherwise a correct peer would be blamed for
dropping TCP without a close frame (issue 9 item 2).

Over TLS the bytes must go through the TLS layer, which is gone by the time the
application hears of the loss; :func:`read_tls_leftovers_on_error` hooks the TLS
protocol object so that it reads them first. It relies on attributes of asyncio's
``sslproto`` that are not public; where they are missing it does nothing, which is
the behaviour without it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["LEFTOVER_LIMIT", "read_leftovers", "read_tls_leftovers_on_error"]

log = logging.getLogger(__name__)

#: At most this much is read from a dead socket (its receive buffer is smaller).
LEFTOVER_LIMIT = 16 * 2**20
_CHUNK = 256 * 1024
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)


def read_leftovers(sock: Any, limit: int = LEFTOVER_LIMIT) -> list[bytes]:
    """The bytes still readable on ``sock`` (a socket or asyncio's ``TransportSocket``),
    read without blocking until none is left, the peer's EOF or an error."""
    if sock is None:
        return []
    try:
        # A duplicate, because asyncio's TransportSocket offers no recv(); the file
        # description (and its O_NONBLOCK) is shared, so nothing else changes.
        dup = sock.dup()
    except (OSError, AttributeError):  # already closed
        return []
    chunks: list[bytes] = []
    total = 0
    with dup:
        while total < limit:
            try:
                data = dup.recv(min(_CHUNK, limit - total), _DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as exc:  # the reset itself, once the data is read
                log.debug("reading leftovers stopped: %s", exc)
                break
            if not data:
                break
            chunks.append(data)
            total += len(data)
    return chunks


def read_tls_leftovers_on_error(
    transport: asyncio.BaseTransport, before: weakref.WeakMethod[Callable[[], None]]
) -> None:
    """Make the TLS layer under ``transport`` read what is left in the raw socket when
    the raw connection fails, before it reports the loss. ``before`` is called first
    (weakly held, so that the hook keeps nothing alive)."""
    ssl_protocol = getattr(transport, "_ssl_protocol", None)
    original = getattr(ssl_protocol, "connection_lost", None)
    if ssl_protocol is None or original is None or not hasattr(ssl_protocol, "get_buffer"):
        return

    def connection_lost(exc: BaseException | None) -> None:
        # The instance attribute goes first: it holds ssl_protocol in a cycle.
        vars(ssl_protocol).pop("connection_lost", None)
        try:
            if isinstance(exc, OSError):
                raw = getattr(ssl_protocol, "_transport", None)
                chunks = read_leftovers(raw.get_extra_info("socket") if raw else None)
                if chunks:
                    prepare = before()
                    if prepare is not None:
                        prepare()
                    for chunk in chunks:
                        _feed(ssl_protocol, chunk)
        except Exception:  # the loss is reported below whatever happened here
            log.exception("reading what was left of a TLS connection failed")
        finally:
            original(exc)

    ssl_protocol.connection_lost = connection_lost


def _feed(protocol: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        buffer = protocol.get_buffer(len(view))
        n = min(len(buffer), len(view))
        buffer[:n] = view[:n]
        protocol.buffer_updated(n)
        view = view[n:]
