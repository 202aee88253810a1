"""The session's round-trip times read from a capture (inspector.gui.window.rtt), no Qt."""

from __future__ import annotations

import pytest

from inspector.capture.events import (
    ErrorCaptured,
    ErrorStep,
    RttSample,
    SessionInfo,
    SessionRole,
)
from inspector.capture.store import CaptureStore
from inspector.gui.window.rtt import RttSeries, format_ms


def _store() -> CaptureStore:
    return CaptureStore(
        SessionInfo(
            url="ws://127.0.0.1:9/",
            role=SessionRole.CLIENT,
            started_at="2024-05-01T12:00:00+00:00",
            started_unix=1714564800.0,
        )
    )


def test_samples_are_read_as_they_arrive_and_summed_up() -> None:
    store = _store()
    series = RttSeries(store)
    assert series.points == [] and "No round trips measured yet" in series.summary()
    assert not series.update()  # nothing new
    for i, rtt in enumerate((0.002, 0.001, 0.004)):
        store.add(RttSample(float(i), rtt, b"ka-%d" % i))
    assert series.update()
    assert series.rtts == [0.002, 0.001, 0.004]
    assert series.summary() == (
        "3 samples · last 4.00 ms · min 1.00 ms · median 2.00 ms · max 4.00 ms"
    )
    store.add(ErrorCaptured(4.0, ErrorStep.TIMEOUT, "no pong to our ping 'ka-4' within 1 s", False))
    assert series.update() and series.late == 1
    assert series.summary().endswith("; 1 pong late")
    series.reset(None)
    assert series.points == [] and not series.update()


def test_the_polyline_fits_the_latest_samples_with_the_newest_at_the_right() -> None:
    store = _store()
    for i in range(100):
        store.add(RttSample(float(i), 0.001 * (i + 1)))
    series = RttSeries(store)
    line = series.polyline(40, 10, spacing=4)
    assert len(line) == 11  # 40 px at 4 px apart
    assert line[-1] == pytest.approx((40, 0))  # the newest is the largest: at the top
    assert line[0][0] == pytest.approx(0)
    assert series.scale_top(40, spacing=4) == pytest.approx(0.1)
    assert all(0 <= y <= 10 for _x, y in line)
    assert RttSeries(_store()).polyline(40, 10) == []
    # The samples are evenly spaced: the axis says which ones, and when.
    assert series.span(40, spacing=4) == "samples 90-100 · 89.0-99.0 s"
    assert RttSeries(_store()).span(40) == ""


def test_milliseconds_read_well() -> None:
    assert format_ms(0.00042) == "0.42 ms"
    assert format_ms(0.25) == "250 ms"
