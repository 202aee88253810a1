"""Property tests (hypothesis) of the frame codec and the connection state machine.

Round trips of any FrameSpec in any chunking, checked against an independent model of
the frame-level rules; arbitrary bytes never raise and parse the same in any chunking;
messages survive any fragmentation. Example counts are bounded to keep this quick.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Opcode, Role
from inspector.protocol.events import Failure, Message
from inspector.protocol.frames import (
    Frame,
    FrameBatch,
    FrameSpec,
    LengthForm,
    apply_mask,
    encode_frame,
)
from inspector.protocol.frames import _py_apply_mask as py_apply_mask
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

FAST = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOWER = settings(FAST, max_examples=60)

roles = st.sampled_from([Role.CLIENT, Role.SERVER])


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    size = draw(
        st.one_of(
            st.integers(0, 130),
            st.sampled_from([125, 126, 127, 65535, 65536]),
        )
    )
    if size > 200:  # large payloads from a short random pattern: cheap to draw
        fill = draw(st.binary(min_size=1, max_size=8))
        return (fill * (size // len(fill) + 1))[:size]
    return draw(st.binary(min_size=size, max_size=size))


@st.composite
def specs(draw: st.DrawFn, opcodes: st.SearchStrategy[int] | None = None) -> FrameSpec:
    payload = draw(payloads())
    n = len(payload)
    forms = [None, 64] + ([7] if n <= 125 else []) + ([16] if n <= 0xFFFF else [])
    return FrameSpec(
        opcode=draw(opcodes if opcodes is not None else st.integers(0, 15)),
        payload=payload,
        fin=draw(st.booleans()),
        rsv1=draw(st.booleans()),
        rsv2=draw(st.booleans()),
        rsv3=draw(st.booleans()),
        mask=draw(st.sampled_from([None, None, True, False])),
        mask_key=draw(st.one_of(st.none(), st.binary(min_size=4, max_size=4))),
        length_form=draw(st.sampled_from(forms)),
    )


def chunk_sizes() -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, 300), min_size=1, max_size=30)


def split(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    """Cut ``data`` in pieces of the given sizes, cycling through them."""
    i = k = 0
    while i < len(data):
        n = sizes[k % len(sizes)]
        # A long tail goes in one piece, so large frames do not make 1-byte feeds.
        if k >= 4 * len(sizes):
            n = len(data)
        yield data[i : i + n]
        i += n
        k += 1


def expected_rules(spec: FrameSpec, sender: Role, rsv_allowed: int = 0) -> list[Rule]:
    """An independent model of the frame-level rules of RFC 6455 section 5."""
    masked = (sender is Role.CLIENT) if spec.mask is None else spec.mask
    n = len(spec.payload)
    form = spec.length_form or LengthForm.minimal(n)
    out = []
    if sender is Role.CLIENT and not masked:
        out.append(Rule.UNMASKED_CLIENT_FRAME)
    if sender is Role.SERVER and masked:
        out.append(Rule.MASKED_SERVER_FRAME)
    rsv = (spec.rsv1 and not rsv_allowed & 0x40) or spec.rsv2 or spec.rsv3
    if rsv:
        out.append(Rule.RESERVED_BIT)
    if spec.opcode in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
        out.append(Rule.RESERVED_OPCODE)
    elif spec.opcode >= 8:
        if n > 125:
            out.append(Rule.CONTROL_FRAME_TOO_LONG)
        if not spec.fin:
            out.append(Rule.FRAGMENTED_CONTROL_FRAME)
    if (form == 16 and n < 126) or (form == 64 and n < 65536):
        out.append(Rule.NON_MINIMAL_LENGTH)
    return out


def check_frame_matches(frame: Frame, spec: FrameSpec, sender: Role, header: bytes) -> None:
    masked = (sender is Role.CLIENT) if spec.mask is None else spec.mask
    assert frame.header == header
    assert (frame.fin, frame.rsv1, frame.rsv2, frame.rsv3) == (
        spec.fin,
        spec.rsv1,
        spec.rsv2,
        spec.rsv3,
    )
    assert frame.opcode == spec.opcode
    assert frame.masked is masked
    if masked:
        assert frame.mask_key is not None
        if spec.mask_key is not None:
            assert frame.mask_key == spec.mask_key
    else:
        assert frame.mask_key is None
    assert frame.length == len(spec.payload) and not frame.truncated
    assert frame.length_form == (spec.length_form or LengthForm.minimal(len(spec.payload)))
    assert frame.payload == spec.payload
    assert [v.rule for v in frame.violations] == expected_rules(spec, sender)


# ---------------------------------------------------------------- round trips
@FAST
@given(spec=specs(), sender=roles, sizes=chunk_sizes())
def test_spec_round_trip_in_any_chunking(spec: FrameSpec, sender: Role, sizes: list[int]) -> None:
    header, on_wire = encode_frame(spec, sender)
    parser = FrameParser(sender)
    frames = [f for chunk in split(header + on_wire, sizes) for f in parser.feed(chunk)]
    assert len(frames) == 1
    check_frame_matches(frames[0], spec, sender, header)
    assert frames[0].masked_payload == on_wire
    assert (frames[0].seq, frames[0].offset) == (0, 0)
    assert parser.pending == 0 and parser.offset == len(header) + len(on_wire)


@SLOWER
@given(
    many=st.lists(specs(), min_size=1, max_size=12),
    sender=roles,
    sizes=chunk_sizes(),
)
def test_stream_of_specs_round_trips(many: list[FrameSpec], sender: Role, sizes: list[int]) -> None:
    encoded = [encode_frame(s, sender) for s in many]
    data = b"".join(h + w for h, w in encoded)
    parser = FrameParser(sender)
    frames = [f for chunk in split(data, sizes) for f in parser.feed(chunk)]
    assert len(frames) == len(many)
    offset = 0
    for i, (frame, spec, (header, on_wire)) in enumerate(zip(frames, many, encoded, strict=True)):
        assert (frame.seq, frame.offset) == (i, offset)
        check_frame_matches(frame, spec, sender, header)
        offset += len(header) + len(on_wire)


@FAST
@given(spec=specs(), rsv_allowed=st.sampled_from([0, 0x40]))
def test_rsv_allowed_model(spec: FrameSpec, rsv_allowed: int) -> None:
    header, on_wire = encode_frame(spec, Role.SERVER)
    (frame,) = FrameParser(Role.SERVER, rsv_allowed=rsv_allowed).feed(header + on_wire)
    assert [v.rule for v in frame.violations] == expected_rules(spec, Role.SERVER, rsv_allowed)


@FAST
@given(data=st.binary(max_size=3000), key=st.binary(min_size=4, max_size=4))
def test_masking_is_an_involution_and_matches_the_fallback(data: bytes, key: bytes) -> None:
    masked = apply_mask(data, key)
    assert py_apply_mask(data, key) == masked
    assert apply_mask(masked, key) == data
    assert all(m == d ^ key[i % 4] for i, (m, d) in enumerate(zip(masked, data, strict=True)))


# ---------------------------------------------------------------- arbitrary bytes
def garbage() -> st.SearchStrategy[bytes]:
    """Random bytes, and streams of real frames cut and spliced with random bytes."""
    framed = st.lists(
        st.one_of(
            specs(st.sampled_from([0, 1, 2, 8, 9, 10, 0, 1, 2, 3])).map(
                lambda s: b"".join(encode_frame(s, Role.SERVER))
            ),
            specs(st.sampled_from([0, 1, 2, 8, 9, 10])).map(
                lambda s: b"".join(encode_frame(s, Role.CLIENT))
            ),
            st.binary(max_size=20),
        ),
        max_size=10,
    ).map(b"".join)
    return st.one_of(st.binary(max_size=600), framed)


@FAST
@given(
    data=garbage(),
    sender=roles,
    sizes=chunk_sizes(),
    limit=st.sampled_from([None, 0, 1, 100, 2**20]),
)
def test_parser_never_raises_and_chunking_does_not_matter(
    data: bytes, sender: Role, sizes: list[int], limit: int | None
) -> None:
    whole = FrameParser(sender, max_frame_size=limit)
    expected = list(whole.feed(data))
    parser = FrameParser(sender, max_frame_size=limit)
    frames: list[Frame] = []
    for chunk in split(data, sizes):
        frames.extend(parser.feed(chunk))
        assert parser.offset == sum(f.wire_size for f in frames) - parser.skipping
    assert frames == expected
    assert parser.offset + parser.pending == len(data)
    assert parser.frames_parsed == len(frames)
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert all(a.offset + a.wire_size == b.offset for a, b in itertools.pairwise(frames))
    for frame in frames:
        assert all(isinstance(v.rule, Rule) and v.offset == frame.offset for v in frame.violations)
        too_large = limit is not None and frame.length > limit
        assert frame.truncated is too_large
        assert len(frame.payload) == (0 if too_large else frame.length)
        assert (Rule.FRAME_TOO_LARGE in [v.rule for v in frame.violations]) is too_large
        str(frame)
        frame.to_json()


def run_protocol(
    proto: Protocol, chunks: Iterator[bytes]
) -> tuple[list[Frame], list[Message], list[Failure]]:
    frames: list[Frame] = []
    messages: list[Message] = []
    failures: list[Failure] = []
    for chunk in chunks:
        proto.receive_data(chunk)
        for event in proto.events_received():
            if isinstance(event, FrameBatch):
                frames.extend(event)
            elif isinstance(event, Message):
                messages.append(event)
            else:
                assert isinstance(event, Failure)
                failures.append(event)
    return frames, messages, failures


@FAST
@given(
    data=garbage(),
    role=roles,
    strict=st.booleans(),
    auto=st.booleans(),
    sizes=chunk_sizes(),
    limits=st.sampled_from([(None, None), (50, 80), (2**20, 2**20), (0, 0)]),
)
def test_protocol_never_raises_and_chunking_does_not_matter(
    data: bytes,
    role: Role,
    strict: bool,
    auto: bool,
    sizes: list[int],
    limits: tuple[int | None, int | None],
) -> None:
    def make() -> Protocol:
        return Protocol(
            role,
            strict=strict,
            auto_pong=auto,
            auto_close=auto,
            max_frame_size=limits[0],
            max_message_size=limits[1],
        )

    whole = make()
    expected = run_protocol(whole, iter([data]))
    proto = make()
    got = run_protocol(proto, split(data, sizes))
    assert got == expected
    frames, messages, failures = got
    assert proto.violation_count == sum(len(f.violations) for f in frames)
    assert len(failures) == (1 if strict and proto.violation_count else 0)
    if failures:
        assert failures[0].violation == next(v for f in frames for v in f.violations)
    for message in messages:
        assert message.first_seq <= message.last_seq < len(frames)
        assert message.opcode in (Opcode.TEXT, Opcode.BINARY)
        if message.text is not None:
            assert message.text.encode() == message.data
    # What it sends in reply is well-formed, and the same however the bytes came in.
    out = b"".join(proto.data_to_send())
    assert out == b"".join(whole.data_to_send()) or role is Role.CLIENT  # client keys differ
    replies = list(FrameParser(role).feed(out))
    assert all(r.violations == () for r in replies)
    assert [r.opcode for r in replies] == [e.opcode for e in proto.events_sent()]
    proto.receive_eof()
    assert 0 <= proto.incomplete_bytes <= len(data)


@FAST
@given(
    many=st.lists(
        specs(opcodes=st.sampled_from([0, 1, 1, 2, 2, 3, 8, 9, 10])), min_size=1, max_size=10
    ),
    sender=roles,
    record=st.booleans(),
    strict=st.booleans(),
    bytewise_start=st.booleans(),
)
def test_reads_of_one_frame_each_match_one_read_of_all(
    many: list[FrameSpec], sender: Role, record: bool, strict: bool, bytewise_start: bool
) -> None:
    """The one-frame paths (a read that is exactly one small frame: the parser's
    and the connection's) give the frames, messages, failures and state of the loop
    over a read of many; ``bytewise_start`` first feeds each frame's first byte alone,
    so the frame is parsed from the parser's buffer (a bytearray)."""
    wires = [b"".join(encode_frame(s, sender)) for s in many]

    def make() -> Protocol:
        proto = Protocol(sender.peer, strict=strict, max_message_size=100)
        proto.record_plain_messages = record
        return proto

    def reads() -> Iterator[bytes]:
        for w in wires:
            if bytewise_start:
                yield w[:1]
                yield w[1:]
            else:
                yield w

    whole = make()
    expected = run_protocol(whole, iter([b"".join(wires)]))
    proto = make()
    assert run_protocol(proto, reads()) == expected
    assert (proto.bytes_received, proto.frames_received, proto.violation_count) == (
        whole.bytes_received,
        whole.frames_received,
        whole.violation_count,
    )
    assert proto.state == whole.state and proto.failure == whole.failure


# ---------------------------------------------------------------- messages
@st.composite
def fragmented(draw: st.DrawFn) -> tuple[int, bytes, list[bytes]]:
    if draw(st.booleans()):
        opcode, payload = Opcode.TEXT, draw(st.text(max_size=60)).encode()
    else:
        opcode, payload = Opcode.BINARY, draw(st.binary(max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=8)))
    bounds = [0, *cuts, len(payload)]
    return opcode, payload, [payload[a:b] for a, b in itertools.pairwise(bounds)]


@FAST
@given(
    msg=fragmented(),
    controls=st.lists(st.sampled_from([Opcode.PING, Opcode.PONG]), max_size=8),
    sizes=chunk_sizes(),
)
def test_fragmented_messages_reassemble_with_control_frames_between(
    msg: tuple[int, bytes, list[bytes]], controls: list[int], sizes: list[int]
) -> None:
    opcode, payload, parts = msg
    data = b""
    for i, part in enumerate(parts):
        data += b"".join(
            encode_frame(
                FrameSpec(opcode if i == 0 else 0, part, fin=i == len(parts) - 1), Role.SERVER
            )
        )
        if i < len(controls) and i < len(parts) - 1:
            data += b"".join(encode_frame(FrameSpec(controls[i], b"c%d" % i), Role.SERVER))
    proto = Protocol(Role.CLIENT)
    frames, messages, failures = run_protocol(proto, split(data, sizes))
    assert failures == [] and all(f.violations == () for f in frames)
    (message,) = messages
    assert message.data == payload and message.opcode == opcode
    assert message.text == (payload.decode() if opcode == Opcode.TEXT else None)
    assert (message.first_seq, message.last_seq) == (0, len(frames) - 1)
    pings = [f for f in frames if f.opcode == Opcode.PING]
    pongs = list(FrameParser(Role.CLIENT).feed(b"".join(proto.data_to_send())))
    assert [p.payload for p in pongs] == [p.payload for p in pings]


_AT = re.compile(r"invalid UTF-8 at byte (\d+) of the message")


@FAST
@given(
    payload=st.one_of(
        st.binary(max_size=40),
        st.text(max_size=20).map(str.encode),
        st.tuples(st.text(max_size=10), st.binary(max_size=4), st.text(max_size=10)).map(
            lambda t: t[0].encode() + t[1] + t[2].encode()
        ),
    ),
    cuts=st.lists(st.integers(0, 60), max_size=6),
)
def test_utf8_checked_across_any_fragmentation(payload: bytes, cuts: list[int]) -> None:
    bounds = [0, *sorted(c for c in cuts if c <= len(payload)), len(payload)]
    parts = [payload[a:b] for a, b in itertools.pairwise(bounds)]
    data = b"".join(
        b"".join(
            encode_frame(FrameSpec(1 if i == 0 else 0, p, fin=i == len(parts) - 1), Role.SERVER)
        )
        for i, p in enumerate(parts)
    )
    frames, (message,), _ = run_protocol(Protocol(Role.CLIENT), iter([data]))
    found = [v for f in frames for v in f.violations]
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        (violation,) = found
        assert violation.rule is Rule.INVALID_UTF8
        match = _AT.match(violation.message)
        assert match is not None and int(match.group(1)) == exc.start
        assert message.text is None
    else:
        assert found == []
        assert message.text == text
    # The incremental decoder used agrees with a whole decode on validity.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for i, p in enumerate(parts):
            decoder.decode(p, i == len(parts) - 1)
        ok = True
    except UnicodeDecodeError:
        ok = False
    assert ok is (not found)


@SLOWER
@given(
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY]),
    text=st.text(max_size=300),
    fragments=st.integers(1, 12),
    sender=roles,
)
def test_what_we_send_we_receive(opcode: int, text: str, fragments: int, sender: Role) -> None:
    us, peer = Protocol(sender), Protocol(sender.peer)
    payload = text.encode()
    out = us.send_message(opcode, payload, fragments=fragments)
    assert 1 <= len(out) <= fragments
    assert all(f.payload for f in out) or payload == b""
    frames, (message,), failures = run_protocol(peer, iter(us.data_to_send()))
    assert failures == [] and all(f.violations == () for f in frames)
    assert message.data == payload and message.opcode == opcode
    assert message.text == (text if opcode == Opcode.TEXT else None)
    assert [f.payload for f in frames] == [f.payload for f in out]
    assert [f.header[0] for f in frames] == [f.header[0] for f in out]
