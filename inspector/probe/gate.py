"""Whether the server can still be checked: shared by the cases of one battery.

Unreachable means that new connections fail, nothing else. A case whose connection
cannot be made tries once more (one refused or timed-out connection under load is
not a dead server); when that fails too, the server is down and the cases not yet
started are graded at once.

A case that gets nothing back at all (no frame, not even a pong, and TCP still open
until we abort it) says little alone: a TCP drop in answer to our frames is a
reaction, and so is any frame. After a few such silent cases in a row, a fresh
connection pings the server: a pong means the server is well (those cases were
just ignored, and are graded so); a failed connection or no pong means it stopped
answering, and the rest is not run. So whether a case runs never depends on the
cases that happened to finish before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

from ..engine.client import connect, new_client_connection
from ..engine.options import ConnectError, ConnectOptions
from ..protocol.constants import Opcode
from ..protocol.frames import FrameSpec
from .case import Case
from .grading import Observation
from .observer import SYNC_PREFIX, Observer

__all__ = ["SILENT_CASES", "UNREACHABLE_STEPS", "Gate"]

log = logging.getLogger(__name__)

#: After this many cases in a row that got nothing back, a fresh connection checks.
SILENT_CASES = 5
#: Connect steps whose failure says the server cannot be reached.
UNREACHABLE_STEPS = frozenset({"url", "dns", "tcp", "tls", "timeout"})
_CHECK_PING = SYNC_PREFIX + b"gate"


class Gate:
    """The state of the server for one battery: :attr:`down` says why it cannot be
    checked any more (None while it can)."""

    def __init__(self, url: str, options: ConnectOptions, timeout: float) -> None:
        self.url = url
        self.options = dataclasses.replace(
            options,
            deflate=False,
            strict=False,
            keepalive_interval=None,
            open_timeout=min(options.open_timeout, max(timeout, 1.0)),
            close_timeout=min(options.close_timeout, timeout),
        )
        self.timeout = timeout
        self.down: str | None = None
        #: Cases in a row that got nothing back (reset by any reaction or a check).
        self.silent = 0
        self.checks = 0
        self._check: asyncio.Task[None] | None = None

    def unreachable(self, reason: str) -> None:
        if self.down is None:
            self.down = reason
            log.info("the server is down for the rest of the battery: %s", reason)

    def after(self, case: Case, obs: Observation) -> None:
        """Count a finished case: silent ones in a row start a health check."""
        if case.wait is not None or obs.reacted:
            self.silent = 0  # a frame, a drop, or a case that expects silence
            return
        self.silent += 1
        if self.silent >= SILENT_CASES and self.down is None and self._check is None:
            self._check = asyncio.ensure_future(self._health_check(self.silent))

    async def settle(self) -> None:
        """Wait for a health check under way (bounded by its own time limits)."""
        check = self._check
        if check is not None:
            await asyncio.shield(check)

    async def close(self) -> None:
        check = self._check
        if check is not None and not check.done():
            check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await check

    async def _health_check(self, silent: int) -> None:
        try:
            self.checks += 1
            problem = await self._answers_ping()
            if problem is None:
                self.silent = 0
            else:
                self.unreachable(
                    f"the server stopped answering: {silent} cases in a row got nothing "
                    f"back, and then {problem}"
                )
        except Exception:  # a probe bug must not stop the battery
            log.exception("the probe's health check failed")
        finally:
            self._check = None

    async def _answers_ping(self) -> str | None:
        """None if a fresh connection's ping is answered; else what went wrong."""
        conn = new_client_connection(self.url, self.options)
        obs = Observer()
        conn.subscribe(obs, messages=False)
        try:
            await connect(self.url, self.options, connection=conn)
        except ConnectError as exc:
            return f"a new connection failed ({exc.step}: {exc.message})"
        try:
            conn.send_frame(FrameSpec(int(Opcode.PING), _CHECK_PING))
            deadline = obs.loop.time() + self.timeout
            answered = await obs.until(lambda: obs.synced or obs.ended, deadline)
            if obs.synced:
                return None
            if answered:
                return "a fresh connection's ping was not answered: the server closed it"
            return f"a fresh connection's ping got no pong within {self.timeout:g} s"
        finally:
            conn.abort()
            await obs.until(lambda: obs.tcp_closed, obs.loop.time() + 0.5)
