"""A tab's reconnecting: the attempts, the pause before each, and the preamble each
new connection replays (no Qt here; :class:`~.controller.SessionController` drives it).

The preamble is the data messages the first connection sent before the one the user
marked (all of them without a mark), read back from its capture, so that what is
replayed is what went on the wire: reassembled and inflated when it was fragmented
or compressed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...capture.events import Direction
from ...capture.store import CaptureStore
from ...engine.reconnect import Backoff, ReconnectPolicy, dropped
from ...protocol.constants import Opcode

if TYPE_CHECKING:
    from ...engine.connection import Connection

__all__ = ["Backoff", "PreambleMessage", "ReconnectPolicy", "Reconnecting", "preamble_of"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreambleMessage:
    opcode: int  # Opcode.TEXT or Opcode.BINARY
    data: bytes


def preamble_of(store: CaptureStore, before_row: int | None = None) -> list[PreambleMessage]:
    """The data messages we sent in ``store`` that end before ``before_row`` (all of
    them when None), in order. A message the capture budget truncated is left out:
    its payload is not all there to replay."""
    out: list[PreambleMessage] = []
    end = len(store) if before_row is None else min(before_row, len(store))
    for row in range(end):
        if store.direction(row) is not Direction.OUT or not store.header(row)[0] & 0x80:
            continue  # received, or not the last frame of a message
        message = store.message_for(row)
        if message is not None:
            if message.truncated:
                log.info("the preamble leaves out the truncated message at row %d", row)
                continue
            if message.opcode in (Opcode.TEXT, Opcode.BINARY):
                out.append(PreambleMessage(message.opcode, bytes(message.data)))
        elif store.opcode(row) in (Opcode.TEXT, Opcode.BINARY):
            out.append(PreambleMessage(store.opcode(row), bytes(store.frame(row).payload)))
    return out


class Reconnecting:
    """The reconnecting of one tab under ``policy``: which attempt comes next and
    after what pause, and the preamble taken from the first connection."""

    def __init__(self, policy: ReconnectPolicy) -> None:
        self.policy = policy
        self.attempt = 1  # the attempt now connected (or being made)
        self._short = 0  # attempts in a row that did not last
        #: The preamble, taken when the first connection dropped.
        self.preamble: list[PreambleMessage] | None = None
        self._opened_at: float | None = None
        self.gave_up = False  # the last end used the last attempt

    def opened(self) -> list[PreambleMessage]:
        """The connection of this attempt opened: what it replays (nothing on the
        first attempt, which is the user's own)."""
        self._opened_at = time.monotonic()
        return list(self.preamble or ()) if self.attempt > 1 else []

    def ended(self, conn: Connection, mark: int | None) -> float | None:
        """The connection of this attempt ended. If it dropped and an attempt is left,
        the pause before the next one (the attempt counted); else None (then
        :attr:`gave_up` says whether attempts ran out)."""
        self.gave_up = False
        if not dropped(conn):
            return None
        if self.preamble is None and conn.store is not None:
            self.preamble = preamble_of(conn.store, mark)
        opened, self._opened_at = self._opened_at, None
        pause = self.next_pause(time.monotonic() - opened if opened is not None else 0.0)
        self.gave_up = pause is None
        return pause

    def next_pause(self, lasted: float) -> float | None:
        """The attempt that is connected now ended after ``lasted`` seconds: the
        pause before the next one, or None when no attempt is left."""
        if self.policy.max_attempts is not None and self.attempt >= self.policy.max_attempts:
            return None
        backoff = self.policy.backoff
        self._short = 1 if lasted >= backoff.reset_after else self._short + 1
        self.attempt += 1
        return backoff.pause(self._short)

    def describe_next(self, pause: float) -> str:
        of = f" of {self.policy.max_attempts}" if self.policy.max_attempts is not None else ""
        return f"the connection dropped: attempt {self.attempt}{of} in {pause:g} s"
