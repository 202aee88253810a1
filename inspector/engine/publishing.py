"""Who hears a capture's events, and how they are told: the listeners of a live
:class:`~inspector.engine.connection.Connection` and of a proxied one
(:class:`~inspector.engine.proxy.session.ProxiedConnection`), one definition for both.

A listener is called with every :class:`~inspector.capture.events.CaptureEvent`; which
:class:`~inspector.capture.events.MessageCaptured` it also gets is its
:class:`MessageFilter`. A broken listener is logged, never allowed to break the
connection it listens to.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import time
from collections.abc import Callable

from ..capture.events import CaptureEvent, Direction, ErrorCaptured, ErrorStep, MessageCaptured
from ..protocol.events import Message

__all__ = ["Listener", "MessageFilter", "Publisher"]

log = logging.getLogger("inspector.engine.connection")

Listener = Callable[[CaptureEvent], None]


class MessageFilter(enum.StrEnum):
    """Which :class:`MessageCaptured` events a listener gets (see
    :meth:`Publisher.subscribe`)."""

    ALL = "all"  # every message: one per frame in a flood of small messages
    COMPOSITE = "composite"  # those more than their one frame shows: what a capture keeps
    NONE = "none"


def _message_filter(messages: MessageFilter | bool | str) -> MessageFilter:
    # True, False and "composite" are the spellings before the enum; still accepted.
    if messages is True:
        return MessageFilter.ALL
    if messages is False:
        return MessageFilter.NONE
    try:
        return MessageFilter(messages)
    except ValueError:
        raise ValueError(f"messages is a MessageFilter, not {messages!r}") from None


class Publisher:
    """The listeners of one capture, and the events published to them.

    ``store_add`` (the capture store's ``add``, when it keeps one) listens first, to
    every event and to composite messages only: one-frame messages are already in
    its frames.
    """

    error: ErrorCaptured | None
    url: str

    def __init__(self, store_add: Listener | None) -> None:
        self._t0 = time.monotonic()
        self._listeners: list[Listener] = [store_add] if store_add is not None else []
        #: Listeners of every :class:`MessageCaptured`, and of those of composite
        #: messages only (fragmented, compressed or truncated); see :meth:`subscribe`.
        self._message_listeners: list[Listener] = []
        self._composite_listeners: list[Listener] = list(self._listeners)
        self.error = None

    def now(self) -> float:
        """Seconds since the capture began: the time of its events."""
        return time.monotonic() - self._t0

    def subscribe(
        self, listener: Listener, *, messages: MessageFilter | bool | str = MessageFilter.ALL
    ) -> None:
        """Call ``listener`` with every capture event.

        ``messages`` chooses which :class:`MessageCaptured` it gets: every one, only
        those that are more than their one frame shows (fragmented, compressed or
        truncated: what a capture must keep), or none. ``True``, ``False`` and
        ``"composite"`` are accepted for ALL, NONE and COMPOSITE.
        """
        which = _message_filter(messages)
        self._listeners.append(listener)
        if which is MessageFilter.ALL:
            self._message_listeners.append(listener)
        elif which is MessageFilter.COMPOSITE:
            self._composite_listeners.append(listener)
        self._listeners_changed()

    def unsubscribe(self, listener: Listener) -> None:
        for group in (self._listeners, self._message_listeners, self._composite_listeners):
            with contextlib.suppress(ValueError):
                group.remove(listener)
        self._listeners_changed()

    def _listeners_changed(self) -> None:
        """Called when a listener comes or goes (a connection re-plans its hot paths)."""

    def _before_publish(self) -> None:
        """Called before any listener hears an event (a connection records the frames it
        sent and held back first, so that every listener sees the order of the wire)."""

    def publish(self, event: CaptureEvent) -> None:
        self._before_publish()
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not break the connection
                log.exception("capture listener %r failed on %s", listener, type(event).__name__)

    def _publish_message(self, t: float, direction: Direction, message: Message) -> None:
        # A MessageCaptured costs about half a microsecond to make: only made for a
        # message someone listens to.
        everyone = self._message_listeners
        composite = (
            self._composite_listeners
            if (message.frame_count > 1 or message.compressed or message.truncated)
            else ()
        )
        if not everyone and not composite:
            return
        self._before_publish()
        event = MessageCaptured(t, direction, message)
        for listener in (*everyone, *composite):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the connection
                log.exception("capture listener %r failed on MessageCaptured", listener)

    def record_error(
        self, step: ErrorStep | str, message: str, *, fatal: bool = True
    ) -> ErrorCaptured:
        """Publish an error; the first fatal one is :attr:`error`, why the capture ended."""
        error = ErrorCaptured(self.now(), ErrorStep(step), message, fatal)
        if fatal and self.error is None:
            self.error = error
        log.debug("error %s: %s (%s)", error.step, message, self.url)
        self.publish(error)
        return error
