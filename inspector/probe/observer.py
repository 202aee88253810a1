"""Watching one case's connection: the capture events, kept as an
:class:`~inspector.probe.grading.Observation`, and waiting for what the runner needs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ..capture.events import (
    CaptureEvent,
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    HandshakeCaptured,
    MessageCaptured,
    StateChanged,
)
from ..protocol.constants import Opcode
from .grading import Observation, ServerClose

__all__ = ["SYNC_PREFIX", "Observer"]

#: Payload prefix of the probe's own pings (their pongs say the server read everything
#: sent before them).
SYNC_PREFIX = b"probe-sync-"
#: How often a wait looks at its condition when no event came.
_POLL = 0.05
_PONG = int(Opcode.PONG)
_CLOSE = int(Opcode.CLOSE)
#: Server problems kept for the words of a grade.
_PROBLEMS_KEPT = 3


class Observer(Observation):
    """Listens to one case's connection (subscribe it) and keeps what grading needs,
    plus the times the runner waits by."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.get_running_loop()
        self.changed = asyncio.Event()
        #: When each sync ping's pong came.
        self.sync_pongs: dict[bytes, float] = {}
        self.close_at = 0.0
        #: The case's phase: steps after a pause or a sync are a new phase.
        self.phase = 0
        self.handshake: HandshakeCaptured | None = None
        self.last_rx = self.loop.time()
        #: The longest sync ping round trip seen, to scale grace periods.
        self.rtt = 0.0

    def __call__(self, event: CaptureEvent) -> None:
        now = self.loop.time()
        if isinstance(event, FramesCaptured):
            if event.dir is not Direction.IN:
                return
            self.last_rx = now
            self.frames_in += len(event.frames)
            for frame in event.frames:
                op = frame.opcode
                if op == _PONG:
                    if frame.payload.startswith(SYNC_PREFIX):
                        self.sync_pongs.setdefault(frame.payload, now)
                        self.synced = True
                    else:
                        self.pongs.append(frame.payload)
                elif op == _CLOSE and self.close is None:
                    self.close = ServerClose(
                        frame.close_code,
                        frame.close_reason,
                        empty=not frame.payload,
                        first=not self.we_closed,
                        phase=self.phase,
                    )
                    self.close_at = now
                for violation in frame.violations:
                    text = violation.message
                    problems = self.server_problems
                    if len(problems) < _PROBLEMS_KEPT and text not in problems:
                        problems.append(text)
        elif isinstance(event, MessageCaptured):
            if event.dir is Direction.IN:
                self.messages.append(event.message)
                self.last_rx = now
        elif isinstance(event, StateChanged):
            if event.state is ConnectionState.CLOSED and not self.tcp_closed:
                self.tcp_closed = True
                self.end_phase = self.phase
        elif isinstance(event, HandshakeCaptured):
            if event.dir is Direction.IN:
                self.handshake = event
        elif isinstance(event, ErrorCaptured) and event.step is ErrorStep.CLOSE:
            self.tcp_left_open = True
        self.changed.set()

    async def until(self, condition: Callable[[], bool], deadline: float) -> bool:
        """Wait until ``condition()`` holds (True) or the loop time ``deadline``
        passes (False)."""
        while not condition():
            remaining = deadline - self.loop.time()
            if remaining <= 0:
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, _POLL))
        return True
