"""The captures the probe keeps: every frame of every case, within a payload budget.

A battery keeps one capture per case for "Open capture" in the window; whole, the
16 MiB echoes alone would keep about 120 MiB of payload after one run. So each case
keeps at most :data:`CASE_CAPTURE_BYTES` of payload whole; from the first payload
that does not fit on, frames keep their headers and only the first
:data:`~inspector.capture.store.CAPPED_PAYLOAD` bytes of payload (their declared
length stays, so they read as truncated), kept messages the same prefix, and the
capture says so once (an :class:`~inspector.capture.events.ErrorCaptured` with the
step ``capture``). Grading is not affected: the observer sees every byte.

This is the capture budget of the store (issue 9 item 4, contract 3) with a much
smaller budget per case than a session's. Where the store takes the budget itself
(``CaptureStore(session, max_payload_bytes=...)``) it is used; otherwise the
events are cut here, before the store sees them, by the same rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from ..capture.events import (
    CaptureEvent,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
)
from ..capture.store import CAPPED_PAYLOAD, CaptureStore
from ..protocol.frames import Frame, FrameBatch
from .wording import size_words

__all__ = ["CAPPED_PAYLOAD", "CASE_CAPTURE_BYTES", "case_capture"]

#: Payload bytes one case's capture keeps whole.
CASE_CAPTURE_BYTES = 2**20

Listener = Callable[[CaptureEvent], None]

_STORE_HAS_BUDGET = "max_payload_bytes" in inspect.signature(CaptureStore).parameters


def _capped_words(limit: int) -> str:
    return (
        f"the probe keeps {size_words(limit)} of payload per case: later frames keep "
        f"their headers and the first {size_words(CAPPED_PAYLOAD)} of payload"
    )


def case_capture(
    session: SessionInfo, limit: int | None = CASE_CAPTURE_BYTES
) -> tuple[CaptureStore, Listener]:
    """A store for one case's capture and the listener that fills it (subscribe it
    with ``messages="composite"``, as a connection's own store is). ``limit`` None
    keeps everything."""
    if limit is None:
        store = CaptureStore(session)
        return store, store.add
    if _STORE_HAS_BUDGET:
        store = CaptureStore(session, max_payload_bytes=limit)  # type: ignore[call-arg]

        def on_capped() -> None:
            t = store.t[-1] if len(store) else 0.0
            store.add(ErrorCaptured(t, ErrorStep.CAPTURE, _capped_words(limit), fatal=False))

        store.on_capped = on_capped  # type: ignore[attr-defined]
        return store, store.add
    store = CaptureStore(session)
    return store, _Budget(store, limit).add


class _Budget:
    """Cuts payloads past the budget out of the events before the store sees them."""

    def __init__(self, store: CaptureStore, limit: int) -> None:
        self.store = store
        self.limit = limit
        self.held = 0
        self.capped = False

    def keep(self, payload: bytes) -> bytes:
        n = len(payload)
        if not self.capped and self.held + n <= self.limit:
            self.held += n
            return payload
        self.capped = True
        return payload[:CAPPED_PAYLOAD]

    def add(self, event: CaptureEvent) -> None:
        reached = self.capped
        if isinstance(event, FramesCaptured):
            event = self._frames(event)
        elif isinstance(event, MessageCaptured):
            message = event.message
            data = self.keep(message.data)
            if data is not message.data:
                cut = message._replace(data=data, text=None, truncated=True)
                event = MessageCaptured(event.t, event.dir, cut)
        self.store.add(event)
        if self.capped and not reached:
            words = _capped_words(self.limit)
            self.store.add(ErrorCaptured(event.t, ErrorStep.CAPTURE, words, fatal=False))

    def _frames(self, event: FramesCaptured) -> FramesCaptured:
        frames = event.frames
        payloads: Sequence[bytes] = (
            frames.payloads if isinstance(frames, FrameBatch) else [f.payload for f in frames]
        )
        total = sum(map(len, payloads))
        if self.held + total <= self.limit and not self.capped:
            self.held += total
            return event
        if self.capped and max(map(len, payloads), default=0) <= CAPPED_PAYLOAD:
            return event
        kept: list[Frame] = []
        for frame in frames:
            payload = self.keep(frame.payload)
            kept.append(frame if payload is frame.payload else frame._replace(payload=payload))
        return FramesCaptured(event.t, event.dir, kept)
