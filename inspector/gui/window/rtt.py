"""The round-trip times of one session, for the RTT pane (no Qt here).

Read from the capture's events (every :class:`RttSample` the engine published, and
the notes of pongs that came too late) as they grow: each refresh reads only the
events added since the last one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from ...capture.events import ErrorCaptured, ErrorStep, RttSample
from ...capture.store import CaptureStore

__all__ = ["RttSeries", "format_ms"]


def format_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.2f} ms" if ms < 100 else f"{ms:.0f} ms"


@dataclass(frozen=True, slots=True)
class _Point:
    t: float  # seconds since the session started
    rtt: float


class RttSeries:
    """The RTT samples of one capture store, in order."""

    def __init__(self, store: CaptureStore | None = None) -> None:
        self.store: CaptureStore | None = None
        self.points: list[_Point] = []
        self.late = 0  # pongs that missed their deadline
        self._seen = 0
        self.reset(store)

    def reset(self, store: CaptureStore | None) -> None:
        self.store = store
        self.points = []
        self.late = 0
        self._seen = 0
        self.update()

    def update(self) -> bool:
        """Read the events added since the last update; True if anything changed."""
        store = self.store
        if store is None or len(store.events) == self._seen:
            return False
        before = (len(self.points), self.late)
        for event in store.events[self._seen :]:
            if isinstance(event, RttSample):
                self.points.append(_Point(event.t, event.rtt))
            elif (
                isinstance(event, ErrorCaptured)
                and event.step is ErrorStep.TIMEOUT
                and event.message.startswith("no pong to our ping")
            ):
                self.late += 1
        self._seen = len(store.events)
        return (len(self.points), self.late) != before

    @property
    def rtts(self) -> list[float]:
        return [p.rtt for p in self.points]

    def summary(self) -> str:
        """One line: how many samples, the last, and the spread."""
        late = f"; {self.late} pong{'s' if self.late != 1 else ''} late" if self.late else ""
        if not self.points:
            return "No round trips measured yet: send a ping, or set a keepalive ping" + late
        rtts = self.rtts
        n = len(rtts)
        return (
            f"{n} sample{'s' if n != 1 else ''} · last {format_ms(rtts[-1])} · "
            f"min {format_ms(min(rtts))} · median {format_ms(statistics.median(rtts))} · "
            f"max {format_ms(max(rtts))}{late}"
        )

    def polyline(
        self, width: float, height: float, *, spacing: float = 4.0
    ) -> list[tuple[float, float]]:
        """The latest samples that fit ``width`` at ``spacing`` apart, as points in a
        ``width`` x ``height`` box (0 at the bottom, the largest shown at the top),
        the newest at the right edge."""
        if not self.points or width <= 0 or height <= 0:
            return []
        fit = max(2, int(width // spacing) + 1)
        rtts = self.rtts[-fit:]
        top = max(rtts) or 1.0
        step = width / (len(rtts) - 1) if len(rtts) > 1 else 0.0
        x0 = width - step * (len(rtts) - 1)
        return [(x0 + i * step, height - r / top * height) for i, r in enumerate(rtts)]

    def scale_top(self, width: float, *, spacing: float = 4.0) -> float:
        """The largest RTT among those :meth:`polyline` shows (the plot's top)."""
        fit = max(2, int(width // spacing) + 1)
        return max(self.rtts[-fit:], default=0.0)

    def span(self, width: float, *, spacing: float = 4.0) -> str:
        """What the plot's horizontal axis holds: the samples :meth:`polyline` shows
        are evenly spaced, not by time, so the axis says which and when
        (``"samples 91-100 · 90.0-99.0 s"``); empty without samples."""
        if not self.points:
            return ""
        fit = max(2, int(width // spacing) + 1)
        shown = self.points[-fit:]
        first = len(self.points) - len(shown) + 1
        if len(shown) == 1:
            return f"sample 1 · {shown[0].t:.1f} s"
        return f"samples {first}-{len(self.points)} · {shown[0].t:.1f}-{shown[-1].t:.1f} s"
