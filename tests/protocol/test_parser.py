"""Tests of inspector.protocol.parser: the size limit (a huge frame reported on its
header and skipped without allocating) and large frames received in place."""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from inspector.protocol.constants import (
    Opcode,
    Role,
)
from inspector.protocol.frames import (
    DEFAULT_MAX_FRAME_SIZE,
    Frame,
    FrameSpec,
    encode_frame,
)
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

from ._support import KEY, chunked, parse, parse_one, rules, wire


# ---------------------------------------------------------------- size limit
def header_64(length: int, masked: bool = False) -> bytes:
    return (
        bytes([0x82, 0xFF if masked else 0x7F])
        + struct.pack("!Q", length)
        + (KEY if masked else b"")
    )


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (2**63 - 1, [Rule.FRAME_TOO_LARGE]),
        (2**63, [Rule.LENGTH_TOP_BIT, Rule.FRAME_TOO_LARGE]),
        (2**64 - 1, [Rule.LENGTH_TOP_BIT, Rule.FRAME_TOO_LARGE]),
    ],
)
@pytest.mark.parametrize("sender", [Role.SERVER, Role.CLIENT])
def test_huge_frame_reported_on_header_and_skipped_without_allocating(
    length: int, expected: list[Rule], sender: Role
) -> None:
    masked = sender is Role.CLIENT
    header = header_64(length, masked)
    parser = FrameParser(sender)
    for byte in header[:-1]:
        assert not parser.feed(bytes([byte]))  # nothing to report before the header is whole
    (frame,) = parser.feed(header[-1:])
    assert rules(frame) == expected
    assert frame.length == length and frame.payload == b"" and frame.truncated
    assert frame.mask_key == (KEY if masked else None)
    assert parser.skipping == length
    assert parser.pending == 0
    assert "is skipped" in frame.violations[-1].message

    chunk = b"\xaa" * 65536
    tracemalloc.start()
    try:
        for _ in range(128):  # 8 MiB of payload
            assert not parser.feed(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024  # a chunk or two, never the payload
    assert parser.skipping == length - 128 * 65536
    assert parser.offset == len(header) + 128 * 65536
    assert parser.incomplete == len(header) + 128 * 65536
    assert parser.frames_parsed == 1


@pytest.mark.parametrize("chunk", [1, 3, 64, 700, 100_000])
def test_frames_after_a_skipped_frame_parse(chunk: int) -> None:
    before = b"\x81\x02hi"
    big = wire(FrameSpec(Opcode.BINARY, bytes(range(256)) * 20), Role.SERVER)  # 5120 bytes
    after = b"\x89\x04ping" + b"\x82\x7e\x03\xe8" + b"z" * 1000
    data = before + big + after
    frames, parser = parse(chunked(data, chunk), Role.SERVER, max_frame_size=1000)
    assert [f.seq for f in frames] == [0, 1, 2, 3]
    assert [f.offset for f in frames] == [0, 4, 4 + len(big), 4 + len(big) + 6]
    assert rules(frames[1]) == [Rule.FRAME_TOO_LARGE]
    assert frames[1].length == 5120 and frames[1].payload == b""
    assert frames[1].violations[0].message == (
        "frame declares 5120 bytes; the limit is 1000; its payload is skipped"
    )
    assert frames[2].payload == b"ping" and frames[2].violations == ()
    assert frames[3].payload == b"z" * 1000 and frames[3].violations == ()  # at the limit: kept
    assert parser.offset == len(data) and parser.pending == 0 and parser.skipping == 0


def test_no_limit() -> None:
    data = wire(FrameSpec(Opcode.BINARY, b"q" * 200_000), Role.SERVER)
    frame = parse_one(data, Role.SERVER, max_frame_size=None)
    assert len(frame.payload) == 200_000 and frame.violations == ()
    assert DEFAULT_MAX_FRAME_SIZE == 64 * 2**20


def test_incomplete_counts_buffered_bytes() -> None:
    parser = FrameParser(Role.SERVER)
    parser.feed(b"\x81\x05abc")
    assert parser.incomplete == parser.pending == 5
    parser.feed(b"de")
    assert parser.incomplete == 0


# ------------------------------------------------- large frames received in place
def _server_frame(payload: bytes, opcode: int = 2) -> bytes:
    header, wire = encode_frame(FrameSpec(opcode, payload), Role.SERVER)
    return header + wire


def _receive_in_place(parser: FrameParser, stream: bytes, first: int, chunk: int) -> list[Frame]:
    """Feed ``first`` bytes, then write the rest into receive_buffer() as a socket
    would, ``chunk`` bytes at most per read, falling back to feed() between frames."""
    frames = list(parser.feed(stream[:first]))
    pos = first
    while pos < len(stream):
        into = parser.receive_buffer()
        if into is None:
            n = min(chunk, len(stream) - pos)
            frames += parser.feed(stream[pos : pos + n])
        else:
            n = min(chunk, len(into), len(stream) - pos)
            into[:n] = stream[pos : pos + n]
            into.release()
            frames += parser.received(n)
        pos += n
    return frames


@pytest.mark.parametrize("chunk", [1000, 65536, 3 * 2**20])
def test_large_frames_are_received_in_place_and_their_records_stay_intact(chunk: int) -> None:
    """Issue 13: a large frame's rest is read straight into a buffer of its size,
    reused for the next one; each frame's record keeps its own header and payload."""
    one = bytes(range(256)) * 4096  # 1 MiB
    two = bytes(reversed(range(256))) * 4096
    stream = _server_frame(one) + _server_frame(two) + _server_frame(b"small", 1)
    stream += _server_frame(one[:300_000])
    parser = FrameParser(Role.SERVER)
    frames = _receive_in_place(parser, stream, 70_000, chunk)
    assert [f.payload for f in frames] == [one, two, b"small", one[:300_000]]
    assert [f.header for f in frames] == [
        encode_frame(FrameSpec(op, p), Role.SERVER)[0]
        for op, p in ((2, one), (2, two), (1, b"small"), (2, one[:300_000]))
    ]
    assert all(not f.violations for f in frames)
    assert [f.offset for f in frames] == [0, 1048586, 2097172, 2097179]
    assert parser.pending == 0 and parser.receive_buffer() is None


def test_a_chunk_past_the_end_of_a_large_frame_is_parsed_with_it() -> None:
    """feed() given the rest of a large frame and more frames in one chunk."""
    big = b"x" * 200_000
    stream = _server_frame(big) + _server_frame(b"after", 1) + _server_frame(b"\x03\xe8", 8)
    parser = FrameParser(Role.SERVER)
    first = list(parser.feed(stream[:100_000]))
    assert first == [] and parser.pending == 100_000
    rest = list(parser.feed(stream[100_000:]))
    assert [(f.opcode, f.payload) for f in rest] == [(2, big), (1, b"after"), (8, b"\x03\xe8")]


def test_a_large_masked_frame_received_in_place_is_unmasked() -> None:
    payload = bytes(range(256)) * 1024
    header, wire = encode_frame(FrameSpec(2, payload, mask_key=b"\x01\x02\x03\x04"), Role.CLIENT)
    parser = FrameParser(Role.CLIENT)
    (frame,) = _receive_in_place(parser, header + wire, 10_000, 50_000)
    assert frame.payload == payload and frame.mask_key == b"\x01\x02\x03\x04"
    assert not frame.violations
