"""Tests of CaptureStore.extend_sent (inspector/capture/store.py), the bulk add of
the frames a flood of small sends makes: the same columns and counters as adding
each frame with add_sent, and nothing added when the frames are not all of the
kind it takes."""

from __future__ import annotations

from array import array

import pytest

from capture.conftest import OUT, session_info
from inspector.capture.store import CaptureStore
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.frames import Frame, FrameSpec

COLUMNS = ("t", "dir", "seq", "offset", "b0", "b1", "length", "mask_key", "msg_start")


def sent(role: Role, payloads: list[bytes], *, binary_every: int = 3) -> list[Frame]:
    """The records of real sends by a protocol of ``role``, text and binary mixed."""
    proto = Protocol(role)
    out: list[Frame] = []
    for i, payload in enumerate(payloads):
        if i % binary_every == 0:
            out += proto.send_binary(payload)
        else:
            out += proto.send_text(payload.decode())
    return out


def columns_of(
    frames: list[Frame],
) -> tuple[array[float], int, array[int], list[bytes], list[bytes]]:
    t = array("d", (0.5 + i / 1000 for i in range(len(frames))))
    return (
        t,
        frames[0].seq,
        array("q", (f.offset for f in frames)),
        [f.header for f in frames],
        [f.payload for f in frames],
    )


def one_by_one(frames: list[Frame], store: CaptureStore) -> None:
    t = columns_of(frames)[0]
    for i, frame in enumerate(frames):
        store.add_sent(t[i], frame)


def same(a: CaptureStore, b: CaptureStore) -> None:
    for name in COLUMNS:
        assert getattr(a, name) == getattr(b, name), name
    assert list(a.payloads) == list(b.payloads)
    assert a.counters(OUT) == b.counters(OUT)
    assert [a.frame(r) for r in range(len(a))] == [b.frame(r) for r in range(len(b))]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER], ids=["masked", "unmasked"])
def test_the_same_columns_as_one_by_one(role: Role) -> None:
    payloads = [f"message {i}".encode() * (i % 12) for i in range(500)]
    frames = sent(role, payloads)
    bulk, single = CaptureStore(session_info()), CaptureStore(session_info())
    # A frame before, so that rows and seq do not start at 0.
    first = Protocol(role).send_text("first")
    bulk.add_sent(0.1, first[0])
    single.add_sent(0.1, first[0])
    assert bulk.extend_sent(*columns_of(frames[1:]))
    one_by_one(frames[1:], single)
    same(bulk, single)
    assert bulk.msg_start[1:] == array("q", range(1, len(frames)))


def test_a_whole_message_ends_a_fragmented_one_left_open() -> None:
    proto = Protocol(Role.CLIENT)
    opening = proto.send_frame(FrameSpec(Opcode.TEXT, b"open", fin=False))
    # (The first one's record names the rule it breaks: not one extend_sent takes.)
    frames = [f._replace(violations=()) for _ in range(40) for f in proto.send_text("whole")]
    bulk, single = CaptureStore(session_info()), CaptureStore(session_info())
    for store in (bulk, single):
        store.add_sent(0.0, opening)
    assert bulk.extend_sent(*columns_of(frames))
    one_by_one(frames, single)
    same(bulk, single)


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param(sent(Role.CLIENT, [b"x" * 126] * 40), id="16-bit lengths"),
        pytest.param(
            sent(Role.CLIENT, [b"short"] * 20) + sent(Role.SERVER, [b"short"] * 20),
            id="masked and unmasked mixed",
        ),
        pytest.param([Protocol(Role.CLIENT).send_ping(b"p")] * 40, id="control frames"),
        pytest.param(
            [
                f
                for _ in range(40)
                for f in Protocol(Role.CLIENT).send_text("two parts", fragments=2)
            ],
            id="fragments",
        ),
    ],
)
def test_nothing_added_for_frames_it_does_not_take(frames: list[Frame]) -> None:
    store = CaptureStore(session_info())
    store.add_sent(0.0, Protocol(Role.CLIENT).send_text("before")[0])
    t, seq0, offsets, headers, payloads = columns_of(frames)
    assert not store.extend_sent(t, seq0, offsets, headers, payloads)
    assert len(store) == 1 and all(len(getattr(store, c)) == 1 for c in COLUMNS)
    assert store.counters(OUT).frames == 1


def test_a_payload_that_is_not_the_header_s_length_is_refused() -> None:
    frames = sent(Role.CLIENT, [b"twelve bytes"] * 40)
    t, seq0, offsets, headers, payloads = columns_of(frames)
    payloads[7] = b"eleven byte"
    assert not CaptureStore(session_info()).extend_sent(t, seq0, offsets, headers, payloads)
    payloads[7] = b"y" * 300
    assert not CaptureStore(session_info()).extend_sent(t, seq0, offsets, headers, payloads)


def test_nothing_added_past_the_budget() -> None:
    frames = sent(Role.CLIENT, [b"z" * 100] * 40)
    store = CaptureStore(session_info(), max_payload_bytes=1000)
    assert not store.extend_sent(*columns_of(frames))
    assert len(store) == 0
