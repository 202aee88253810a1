"""The session around a message, for the views that need it (see
:class:`~inspector.views.base.MessageContext`).

:class:`StoreContext` reads a captured session through its
:class:`~inspector.views.conversation.Conversation` (the window, ``capture``);
:class:`ListContext` reads a plain list of messages (tests, ``decode`` keeping a
history, a report). Both share one scratch dict per view for the whole session, so a
stateful decoder learns the session once, not once per row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..protocol.constants import Opcode, Role
from .base import ContextMessage, MessageContext, PayloadMeta

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["ListContext", "StoreContext", "with_contexts"]

#: Rows a context walks past (control frames, fragments) for each message it yields.
_SCAN_FACTOR = 8


class StoreContext(MessageContext):
    """The messages around row ``index`` of a conversation's store."""

    def __init__(
        self, conversation: Conversation, index: int, states: dict[str, dict[str, Any]]
    ) -> None:
        self._conv = conversation
        self._states = states
        self.index = index
        store = conversation.store
        self.time = store.t[index] if 0 <= index < len(store) else None

    def _completes(self, row: int) -> bool:
        store = self._conv.store
        b0 = store.b0[row]
        if not b0 & 0x80:
            return False
        op = b0 & 0x0F
        if op == Opcode.CONT:
            return store.msg_start[row] >= 0
        return op in (Opcode.TEXT, Opcode.BINARY)

    def _message(self, row: int) -> ContextMessage:
        data, meta = self._conv.payload(row, context=False)
        return ContextMessage(row, data, meta, self._conv.store.t[row])

    def before(self, limit: int = 64) -> Iterator[ContextMessage]:
        found = 0
        stop = max(self.index - limit * _SCAN_FACTOR, 0)
        for row in range(self.index - 1, stop - 1, -1):
            if found >= limit:
                return
            if self._completes(row):
                found += 1
                yield self._message(row)

    def kinds_before(self, limit: int = 64) -> Iterator[tuple[int, int, Role | None]]:
        conv = self._conv
        store = conv.store
        found = 0
        stop = max(self.index - limit * _SCAN_FACTOR, 0)
        for row in range(self.index - 1, stop - 1, -1):
            if found >= limit:
                return
            if self._completes(row):
                found += 1
                op = store.b0[row] & 0x0F
                if op == Opcode.CONT:
                    op = store.b0[store.msg_start[row]] & 0x0F
                yield row, op, conv.sender(row)

    def text_before(self, starts: tuple[bytes, ...]) -> bool:
        return self._conv.text_starting_before(self.index, starts)

    def message(self, index: int) -> ContextMessage | None:
        if 0 <= index < len(self._conv.store) and self._completes(index):
            return self._message(index)
        return None

    def after(self, limit: int = 64) -> Iterator[ContextMessage]:
        found = 0
        stop = min(self.index + 1 + limit * _SCAN_FACTOR, len(self._conv.store))
        for row in range(self.index + 1, stop):
            if found >= limit:
                return
            if self._completes(row):
                found += 1
                yield self._message(row)

    def first(self, limit: int = 8) -> Iterator[ContextMessage]:
        found = 0
        for row in range(min(limit * _SCAN_FACTOR, len(self._conv.store))):
            if found >= limit:
                return
            if self._completes(row):
                found += 1
                yield self._message(row)

    def state(self, view: str) -> dict[str, Any]:
        found = self._states.get(view)  # (asked on every row: no dict made to be dropped)
        if found is None:
            found = self._states[view] = {}
        return found


class ListContext(MessageContext):
    """Message ``index`` of ``messages``: every item is a complete data message."""

    def __init__(
        self,
        messages: Sequence[ContextMessage],
        index: int,
        states: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self._messages = messages
        self._states = {} if states is None else states
        self.index = index
        self.time = messages[index].time if 0 <= index < len(messages) else None

    def before(self, limit: int = 64) -> Iterator[ContextMessage]:
        for i in range(self.index - 1, max(self.index - limit, 0) - 1, -1):
            yield self._messages[i]

    def message(self, index: int) -> ContextMessage | None:
        return self._messages[index] if 0 <= index < len(self._messages) else None

    def after(self, limit: int = 64) -> Iterator[ContextMessage]:
        for i in range(self.index + 1, min(self.index + 1 + limit, len(self._messages))):
            yield self._messages[i]

    def first(self, limit: int = 8) -> Iterator[ContextMessage]:
        for i in range(min(limit, len(self._messages))):
            yield self._messages[i]

    def state(self, view: str) -> dict[str, Any]:
        found = self._states.get(view)  # (asked on every row: no dict made to be dropped)
        if found is None:
            found = self._states[view] = {}
        return found


def with_contexts(
    items: Sequence[tuple[bytes, PayloadMeta] | tuple[bytes, PayloadMeta, float | None]],
) -> list[tuple[bytes, PayloadMeta]]:
    """``items`` (data, meta[, time]) as one session: each meta gets a
    :class:`ListContext` over all of them, sharing one decoder state."""
    messages = [
        ContextMessage(i, item[0], item[1], item[2] if len(item) > 2 else None)  # type: ignore[misc]
        for i, item in enumerate(items)
    ]
    states: dict[str, dict[str, Any]] = {}
    return [
        (m.data, replace(m.meta, context=ListContext(messages, i, states)))
        for i, m in enumerate(messages)
    ]
