"""The captures the probe keeps stay within a budget: the battery's 16 MiB echoes
would otherwise keep about 120 MiB of payload in the window after one run."""

from __future__ import annotations

import pytest
from _probe_support import own_server, run

from inspector.capture.events import Direction, ErrorCaptured, ErrorStep
from inspector.capture.store import CaptureStore
from inspector.probe import CASES, CaseResult, Grade, run_case
from inspector.probe.keep import CAPPED_PAYLOAD, CASE_CAPTURE_BYTES

BY_ID = {case.id: case for case in CASES}


def kept_bytes(store: CaptureStore) -> int:
    frames = sum(map(len, store.payloads))
    return frames + sum(len(m.message.data) for m in store.messages.values())


def run_cases(*case_ids: str) -> list[CaseResult]:
    async def go() -> list[CaseResult]:
        async with own_server() as url:
            return [await run_case(BY_ID[case_id], url) for case_id in case_ids]

    return run(go(), 60)


@pytest.mark.slow
def test_large_cases_keep_their_headers_and_the_first_bytes() -> None:
    results = run_cases("1.1.9", "1.2.9", "9.1.2", "9.1.3")
    for result in results:
        store = result.store
        assert store is not None
        # Graded on everything that came back, whatever the capture keeps.
        assert result.grade is Grade.PASSED, result
        frames = [store.frame(row) for row in range(len(store))]
        assert kept_bytes(store) <= CASE_CAPTURE_BYTES + len(frames) * CAPPED_PAYLOAD
        cut = [f for f in frames if f.truncated]
        assert cut and all(len(f.payload) == CAPPED_PAYLOAD for f in cut), result.id
        assert store.counters(Direction.IN).payload_bytes >= 4 * 2**20  # declared sizes stay
        notes = [e for e in store.events if isinstance(e, ErrorCaptured)]
        assert [e.step for e in notes] == [ErrorStep.CAPTURE], result.id
        assert notes[0].fatal is False and "4 KiB" in notes[0].message


def test_small_cases_keep_everything() -> None:
    (result,) = run_cases("5.6")
    store = result.store
    assert store is not None and result.grade is Grade.PASSED
    assert not any(store.frame(row).truncated for row in range(len(store)))
    assert not any(isinstance(e, ErrorCaptured) for e in store.events)
