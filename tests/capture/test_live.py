"""Tests of inspector.capture.live: the one-frame paths a live connection takes (a read
of one frame, one frame sent) give the same columns, payloads, grouping, counters and
budget cut as the batch paths they stand in for."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capture.conftest import IN, OUT, received, session_info, wire
from inspector.capture.events import FramesCaptured
from inspector.capture.store import CaptureStore
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import FrameBatch, FrameSpec

# Frames of every kind a read may hold alone: whole messages (the fast path), and
# those it hands on: fragments, control frames, reserved opcodes, RSV bits, 16-bit
# lengths (also non-minimal), and masks where the receiver expects none.
_SPEC = st.builds(
    FrameSpec,
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING, 0x3]),
    payload=st.binary(max_size=140),
    fin=st.booleans() | st.just(True),
    rsv1=st.booleans(),
    length_form=st.sampled_from([None, None, None, 16]),
    mask=st.sampled_from([None, None, True, False]),
)


def _state(store: CaptureStore) -> tuple[Any, ...]:
    """Everything the store holds of its frames (the one-frame and batch paths must
    leave the same), and where each frame's seq is found (the recent rows are a hint
    that differs between one add and several)."""
    return (
        [store.row_of(store.direction(r), store.seq[r]) for r in range(len(store))],
        [col.tobytes() for col in store._columns()],
        list(store.payloads),
        store.violations,
        store.counters(IN),
        store.counters(OUT),
        store._open,
        store.held_payload_bytes,
        store.capped_at_row,
    )


def _one_frame_batches(specs: list[FrameSpec], sender: Role) -> list[FrameBatch]:
    """A batch per frame, as reads of one frame each make them."""
    batches = received(b"".join(wire(s, sender=sender) for s in specs), sender=sender)
    frames = [f for b in batches for f in b]
    out = []
    for frame in frames:
        (batch,) = received(frame.header + frame.masked_payload, sender=sender)
        batch.seq0 = frame.seq
        batch.base = frame.offset
        out.append(batch)
    return out


@settings(max_examples=150, deadline=None)
@given(
    specs=st.lists(_SPEC, min_size=1, max_size=12),
    sender=st.sampled_from([Role.SERVER, Role.CLIENT]),
    budget=st.sampled_from([None, 0, 60, 300]),
)
def test_reads_of_one_frame_match_the_batch_path(
    specs: list[FrameSpec], sender: Role, budget: int | None
) -> None:
    one_by_one = CaptureStore(session_info(), max_payload_bytes=budget)
    direct = CaptureStore(session_info(), max_payload_bytes=budget)
    batched = CaptureStore(session_info(), max_payload_bytes=budget)
    batches = _one_frame_batches(specs, sender)
    for i, batch in enumerate(batches):
        one_by_one.add(FramesCaptured(0.5 * i, IN, batch))
        direct.add_received(0.5 * i, batch)
        # The reference: the batch path (the one-frame path takes batches of one only).
        batched._add_batch(0.5 * i, 1, batch)
    assert _state(one_by_one) == _state(batched)
    assert _state(direct) == _state(batched)
    if budget is None:  # (past a budget, payloads are cut)
        expected = [f for b in batches for f in b]
        assert [one_by_one.frame(r) for r in range(len(one_by_one))] == expected


@settings(max_examples=100, deadline=None)
@given(
    specs=st.lists(_SPEC, min_size=1, max_size=12),
    budget=st.sampled_from([None, 0, 60, 300]),
)
def test_frames_sent_one_at_a_time_match_the_list_path(
    specs: list[FrameSpec], budget: int | None
) -> None:
    frames = [f for b in received(wire(*specs, sender=Role.CLIENT), sender=Role.CLIENT) for f in b]
    one_by_one = CaptureStore(session_info(), max_payload_bytes=budget)
    listed = CaptureStore(session_info(), max_payload_bytes=budget)
    for frame in frames:
        one_by_one.add_sent(0.25, frame)
    listed.add(FramesCaptured(0.25, OUT, frames))
    assert _state(one_by_one) == _state(listed)


def test_a_read_of_one_plain_frame_is_a_row_of_its_own_message() -> None:
    store = CaptureStore(session_info())
    for batch in _one_frame_batches(
        [
            FrameSpec(Opcode.TEXT, b"frag-", fin=False),
            FrameSpec(Opcode.TEXT, b"whole, ending the open one"),
            FrameSpec(Opcode.CONT, b"continues nothing"),
            FrameSpec(Opcode.BINARY, b"\x00" * 125),
        ],
        Role.SERVER,
    ):
        store.add_received(1.0, batch)
    assert list(store.msg_start) == [0, 1, -1, 3]
    assert list(store.message_frames(1)) == [1]
    assert store.counters(IN).frames == 4
    assert store.counters(IN).wire_bytes == sum(2 + n for n in (5, 26, 17, 125))


@pytest.mark.parametrize(("seq0", "base"), [(2**63, 0), (0, 2**63)])
def test_a_frame_that_does_not_fit_its_columns_keeps_them_aligned(seq0: int, base: int) -> None:
    store = CaptureStore(session_info())
    (kept,) = received(wire(FrameSpec(Opcode.TEXT, b"kept")))
    store.add_received(0.5, kept)
    (one,) = received(wire(FrameSpec(Opcode.TEXT, b"x")))
    with pytest.raises(OverflowError):
        store.add_received(1.0, FrameBatch(seq0, base, one.src, one.offsets, one.payloads, {}))
    assert len(store) == 1
    assert {len(col) for col in store._columns()} == {1}
    assert len(store.payloads) == 1
