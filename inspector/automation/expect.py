"""Expectations: "after this action, a message matching REGEX arrives within S
seconds", "the connection closes with CODE".

An :class:`Expector` watches a connection's incoming messages from before it opens;
:meth:`Expector.mark` says an action was just performed (messages before it no
longer count), and :meth:`Expector.check` waits, bounded, for an
:class:`Expectation` and returns its :class:`ExpectResult`, whose reason says what
arrived instead when it failed. A text message is matched on its text; a binary one
on what its best view renders (the hex dump, the decoded JSON...).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

from ..capture.events import CaptureEvent, Direction, MessageCaptured
from ..engine.connection import Connection
from ..engine.publishing import MessageFilter
from ..protocol.constants import Opcode, Role, describe_close
from ..protocol.events import Message
from ..views.base import PayloadMeta
from ..views.registry import Registry, default_registry
from ..views.text import escape_control, shorten
from .compare import describe_payload
from .messages import CapturedMessage

__all__ = ["DEFAULT_WITHIN", "ExpectResult", "Expectation", "Expector", "describe_action"]

#: Seconds an expectation waits unless told otherwise.
DEFAULT_WITHIN = 5.0
#: Arrivals a failed expectation names.
SHOWN = 3


@dataclass(frozen=True, slots=True)
class Expectation:
    """A message matching ``pattern`` (or, with ``close_code`` set, the end of the
    connection with that code) within ``within`` seconds. ``after`` names the
    action it follows, for the reason of a failure."""

    pattern: re.Pattern[str] | None = None
    close_code: int | None = None
    within: float = DEFAULT_WITHIN
    after: str = "the connection opened"

    @property
    def what(self) -> str:
        if self.pattern is None:
            return f"--expect-close {self.close_code}"
        return f"--expect {self.pattern.pattern!r}"


@dataclass(frozen=True, slots=True)
class ExpectResult:
    expectation: Expectation
    ok: bool
    waited: float
    #: Why it failed, one sentence ("" when it held).
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        e = self.expectation
        obj: dict[str, Any] = {
            "type": "expect",
            "ok": self.ok,
            "pattern": e.pattern.pattern if e.pattern is not None else None,
            "waited": round(self.waited, 6),
        }
        if e.close_code is not None:
            obj["close_code"] = e.close_code
        if self.reason:
            obj["reason"] = self.reason
        return obj


class Expector:
    """Watches ``conn``'s incoming messages for expectations. Subscribe it before the
    connection opens, so that a greeting sent with the handshake response counts."""

    def __init__(self, conn: Connection, registry: Registry | None = None) -> None:
        self.conn = conn
        self._registry = registry
        self._seen: list[Message] = []
        self._arrived: asyncio.Event | None = None
        conn.subscribe(self, messages=MessageFilter.ALL)

    def __call__(self, event: CaptureEvent) -> None:
        if type(event) is MessageCaptured and event.dir is Direction.IN:
            self._seen.append(event.message)
            if self._arrived is not None:
                self._arrived.set()

    def mark(self) -> None:
        """An action was performed: only messages from now on meet the next expectation."""
        self._seen.clear()

    def close(self) -> None:
        self.conn.unsubscribe(self)
        self._seen.clear()

    def _text(self, message: Message) -> str:
        if message.opcode == Opcode.TEXT:
            return (
                message.text
                if message.text is not None
                else message.data.decode("utf-8", "replace")
            )
        registry = self._registry or default_registry()
        meta = PayloadMeta(opcode=message.opcode, sender=Role.SERVER, size=len(message.data))
        return registry.render(message.data, meta).text

    async def check(self, expectation: Expectation) -> ExpectResult:
        """Wait (at most ``expectation.within`` seconds) for the expectation."""
        if expectation.pattern is None:
            return await self._check_close(expectation)
        pattern = expectation.pattern
        start = time.monotonic()
        deadline = start + expectation.within
        looked = 0
        skipped: list[Message] = []
        while True:
            seen = self._seen
            for i in range(looked, len(seen)):
                if pattern.search(self._text(seen[i])):
                    # The next expectation starts after this message.
                    del seen[: i + 1]
                    return ExpectResult(expectation, True, time.monotonic() - start)
                skipped.append(seen[i])
            looked = len(seen)
            left = deadline - time.monotonic()
            if left <= 0 or self.conn.closed.done():
                break
            self._arrived = asyncio.Event()
            try:
                closed = asyncio.ensure_future(self.conn.wait_closed())
                arrived = asyncio.ensure_future(self._arrived.wait())
                await asyncio.wait(
                    [closed, arrived], timeout=left, return_when=asyncio.FIRST_COMPLETED
                )
                closed.cancel()
                arrived.cancel()
            finally:
                self._arrived = None
        waited = time.monotonic() - start
        return ExpectResult(expectation, False, waited, self._failure(expectation, skipped))

    def _failure(self, expectation: Expectation, skipped: list[Message]) -> str:
        ended = self.conn.closed.done()
        why = (
            f"the connection ended ({self._end()}) before a match"
            if ended
            else f"no match within {expectation.within:g} s"
        )
        if skipped:
            shown = ", ".join(_describe(m) for m in skipped[:SHOWN])
            more = f" and {len(skipped) - SHOWN} more" if len(skipped) > SHOWN else ""
            instead = f"arrived instead: {shown}{more}"
        else:
            instead = "nothing arrived"
        return f"{expectation.what} after {expectation.after}: {why}; {instead}"

    def _end(self) -> str:
        last = self.conn.final_state
        if last is None or last.code is None:
            return "without a close code"
        return f"code {escape_control(describe_close(last.code, last.reason))}"

    async def _check_close(self, expectation: Expectation) -> ExpectResult:
        start = time.monotonic()
        try:
            await asyncio.wait_for(self.conn.wait_closed(), expectation.within)
        except TimeoutError:
            waited = time.monotonic() - start
            reason = (
                f"{expectation.what} after {expectation.after}: the connection was still "
                f"open after {expectation.within:g} s"
            )
            return ExpectResult(expectation, False, waited, reason)
        waited = time.monotonic() - start
        last = self.conn.final_state
        code = last.code if last is not None else None
        if code == expectation.close_code:
            return ExpectResult(expectation, True, waited)
        reason = f"{expectation.what} after {expectation.after}: the connection ended with " + (
            f"{self._end()} instead"
        )
        return ExpectResult(expectation, False, waited, reason)


def _describe(message: Message) -> str:
    return describe_payload(CapturedMessage(0.0, message.opcode, message.data))


def describe_action(kind: str, value: object) -> str:
    """An action as the command line wrote it, for "after ..." in a reason."""
    flag = "--" + kind.replace("_", "-")
    if isinstance(value, str) and value:
        return f"{flag} {shorten(escape_control(value), 40)!r}"
    return flag
