"""The capture budget: how many payload bytes one session keeps, and what it keeps past it.

A peer that streams without end (continuation frames that never finish, a flood of
large messages) must not fill our memory, nor the disk under a live journal. So a
session keeps at most ``limit`` payload bytes whole (frame payloads plus the data of
the reassembled messages it keeps); from the first payload that does not fit on,
every frame keeps its header and only the first :data:`CAPPED_PAYLOAD` bytes of its
payload (its declared length stays, so it reads as truncated), and every kept message
the same prefix of its data (marked truncated, without text).

:class:`PayloadBudget` is that arithmetic, shared by the store
(:class:`~inspector.capture.store.CaptureStore`) and the live journal
(:class:`~inspector.capture.formats.journal.JournalWriter`): both see the same events
in the same order, so both keep the same bytes, and a journal recovered after a crash
holds what the window held.
"""

from __future__ import annotations

import sys
from typing import Final

from ..protocol.events import Message

__all__ = ["CAPPED_PAYLOAD", "DEFAULT_MAX_CAPTURE_BYTES", "PayloadBudget", "is_plain_message"]

#: How many payload bytes one session keeps by default; past it, frames keep their
#: headers and only the first :data:`CAPPED_PAYLOAD` bytes of payload (marked
#: truncated), so that a peer streaming without end cannot fill our memory.
DEFAULT_MAX_CAPTURE_BYTES: Final = 512 * 2**20
#: Payload bytes a frame or message keeps once the budget is reached: enough to see
#: what it was (a JSON head, a binary magic number), little enough to keep millions.
CAPPED_PAYLOAD: Final = 4096


def is_plain_message(message: Message) -> bool:
    """A message that is one plain frame: its frame says everything, so neither the
    store nor the files keep it (only fragmented, compressed or truncated ones)."""
    m = message
    return m.first_seq == m.last_seq and not m.compressed and not m.truncated


class PayloadBudget:
    """Payload bytes held against a limit (None: no limit).

    ``held`` counts the payload bytes kept so far. Hot paths test ``held + n <=
    room`` inline and call :meth:`keep` only when that fails: ``room`` is the limit
    (the largest int when there is none) until the budget is reached, then -1, so
    that every later payload goes through :meth:`keep` and is cut there.
    """

    __slots__ = ("capped", "cut", "held", "limit", "room")

    def __init__(self, limit: int | None = DEFAULT_MAX_CAPTURE_BYTES) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"a capture budget is a number of bytes, not {limit}")
        self.limit = limit
        self.held = 0
        self.capped = False
        #: Payloads (of frames and messages) cut to their first CAPPED_PAYLOAD bytes.
        self.cut = 0
        self.room = sys.maxsize if limit is None else limit

    def keep(self, payload: bytes) -> bytes:
        """What is kept of one payload (counted in :attr:`held`). Check
        :attr:`capped` afterwards to see whether this one reached the budget."""
        n = len(payload)
        if self.held + n > self.room:
            self.capped = True
            self.room = -1
            if n > CAPPED_PAYLOAD:
                payload = payload[:CAPPED_PAYLOAD]
                n = CAPPED_PAYLOAD
                self.cut += 1
        self.held += n
        return payload

    def keep_all(self, payloads: list[bytes], total: int | None = None) -> tuple[list[bytes], int]:
        """What is kept of a batch of payloads, and the index of the first one past
        the budget if this batch reached it (else -1). The list itself is returned
        when nothing in it was cut (a journal then writes the frames as they came).
        ``total`` is the sum of the payloads' lengths, when the caller knows it."""
        if total is None:
            total = sum(map(len, payloads))
        if self.held + total <= self.room:
            self.held += total
            return payloads, -1
        if self.capped and max(map(len, payloads)) <= CAPPED_PAYLOAD:
            self.held += total
            return payloads, -1
        first = -1
        cut = False
        kept: list[bytes] = []
        for i, payload in enumerate(payloads):
            was_capped = self.capped
            part = self.keep(payload)
            if self.capped and not was_capped:
                first = i
            cut = cut or part is not payload
            kept.append(part)
        return (kept if cut else payloads), first

    def keep_message(self, message: Message) -> Message:
        """What is kept of a reassembled message's data: all of it, or (past the
        budget) its first :data:`CAPPED_PAYLOAD` bytes, truncated and without text."""
        data = self.keep(message.data)
        if data is message.data:
            return message
        return message._replace(data=data, text=None, truncated=True)

    def copy(self) -> PayloadBudget:
        """The same budget in the same state (a journal started late follows the
        store it replays)."""
        other = PayloadBudget(self.limit)
        other.held = self.held
        other.capped = self.capped
        other.cut = self.cut
        other.room = self.room
        return other
