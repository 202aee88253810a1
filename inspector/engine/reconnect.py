"""Reconnecting when a connection drops: attempts with a growing, bounded pause.

The front ends (``capture --reconnect``, the window) make each attempt a new
connection and a new capture; this module decides whether to try again and how long
to wait first, so that both behave alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..capture.events import ErrorStep

if TYPE_CHECKING:  # imported by the command line, which loads the engine only to connect
    import asyncio

    from .connection import Connection

__all__ = ["Backoff", "ReconnectPolicy", "dropped", "run_attempts"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """The pause before each attempt after the first: ``first``, then multiplied by
    ``factor`` after each attempt that did not last, never more than ``longest``."""

    first: float = 0.5
    factor: float = 2.0
    longest: float = 30.0
    #: An attempt that stayed up this long (seconds) was a working connection: the
    #: pauses start over from ``first``, not from where a past outage left them.
    reset_after: float = 60.0

    def pause(self, short_attempts: int) -> float:
        """The pause after ``short_attempts`` attempts in a row that did not last (1+)."""
        return min(self.longest, self.first * self.factor ** max(0, short_attempts - 1))


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    #: Connections in all, the first one included (None: until stopped).
    max_attempts: int | None = None
    backoff: Backoff = field(default_factory=Backoff)

    def __post_init__(self) -> None:
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts is 1 or more")
        if self.backoff.first < 0 or self.backoff.longest < self.backoff.first:
            raise ValueError("the backoff's pauses are 0 or more, the longest at least the first")


def dropped(conn: Connection) -> bool:
    """The connection ended without us having ended it: the peer closed it, the
    network dropped it, it never opened, or we failed it because the peer stopped
    answering pings. A connection we closed, or failed for a protocol violation (a
    new one would break the same rule), did not drop."""
    proto = conn.protocol
    if proto is None:
        return True
    if conn.error is not None and conn.error.step is ErrorStep.TIMEOUT:
        return True
    return proto.closing_started_by is not proto.role and proto.failure is None


async def run_attempts(
    policy: ReconnectPolicy,
    attempt: Callable[[int], Awaitable[bool]],
    *,
    stop: asyncio.Event | None = None,
    on_pause: Callable[[int, float], None] | None = None,
) -> int:
    """Run ``attempt(1)``, ``attempt(2)``... while each says to try again (its
    connection dropped or could not be made) and attempts are left, pausing between
    them (``on_pause(next_attempt, seconds)`` is told first). ``stop`` ends the
    pause early and makes no further attempt. Returns the number of attempts made."""
    import asyncio

    loop = asyncio.get_running_loop()
    n = 0
    short = 0
    while True:
        n += 1
        started = loop.time()
        again = await attempt(n)
        if not again or (stop is not None and stop.is_set()):
            return n
        if policy.max_attempts is not None and n >= policy.max_attempts:
            return n
        lasted = loop.time() - started
        short = 1 if lasted >= policy.backoff.reset_after else short + 1
        pause = policy.backoff.pause(short)
        if on_pause is not None:
            on_pause(n + 1, pause)
        if stop is None:
            await asyncio.sleep(pause)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            if stop.is_set():
                return n
