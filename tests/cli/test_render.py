"""What the commands print for a person, checked without running them: payloads,
frames, the handshake and a failed upgrade, with peer-controlled text escaped."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.capture.events import (
    AcceptCheck,
    ConnectionState,
    Direction,
    FramesCaptured,
    HandshakeCaptured,
    SessionInfo,
    SessionRole,
    StateChanged,
)
from inspector.capture.store import CaptureStore
from inspector.cli.render import (
    PayloadRenderer,
    ViewFields,
    accept_line,
    format_frame,
    format_problem,
    format_rows,
    format_state,
    handshake_lines,
    refused,
    render_payload,
    with_views,
)
from inspector.protocol.connection import Protocol
from inspector.protocol.constants import Role
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.violations import Rule, Violation
from inspector.views.base import PayloadMeta, View
from inspector.views.registry import Registry, default_registry

from ._cli_support import TERMINAL_CONTROLS

HOSTILE = "\x1b]0;pwned\x07\x9b2J\u202eevil\u2028"


def parsed(spec: FrameSpec) -> Frame:
    proto = Protocol(Role.CLIENT)
    proto.receive_data(b"".join(encode_frame(spec, Role.SERVER)))
    batch = next(e for e in proto.events_received() if isinstance(e, FrameBatch))
    return batch[0]


def test_payloads() -> None:
    assert render_payload(b"hi", 1) == '"hi"'
    assert render_payload(HOSTILE.encode(), 1) == '"\\e]0;pwned\\x07\\x9b2J\\u202eevil\\u2028"'
    assert render_payload(b"\x00\x01\xff", 2) == "00 01 ff"
    assert render_payload(b"\xff\xfe", 1) == '"\ufffd\ufffd"', "a text frame is text"
    assert render_payload(b"\x00\x01\xff", 9) == "00 01 ff", "a ping that is not text: bytes"
    assert render_payload(b"", 2) == ""
    assert render_payload(b"a" * 200, 1, limit=10) == '"aaaaaaa..."'
    assert render_payload(bytes(100), 2, limit=30).endswith("...")
    assert render_payload(b'{"a": 1}', 1) == '"{"a": 1}"', "JSON: the text as sent"


def test_frames_escape_close_reasons_and_mark_our_own_violations() -> None:
    frame = parsed(FrameSpec(opcode=8, payload=b"\x03\xe8" + HOSTILE.encode()))
    row = format_frame(frame, "<- ")
    assert "reason='\\e]0;pwned\\x07\\x9b2J\\u202eevil\\u2028'" in row
    assert not any(c in row for c in TERMINAL_CONTROLS)
    ours = Frame(
        0, 0, b"\xa1\x00", b"", violations=(Violation(Rule.RESERVED_BIT, "RSV2 set", 0, True),)
    )
    theirs = Frame(
        0, 0, b"\xa1\x00", b"", violations=(Violation(Rule.RESERVED_BIT, "RSV2 set", 0),)
    )
    assert format_frame(ours).splitlines()[1] == "    ! RFC 6455 §5.2: RSV2 set (sent on purpose)"
    assert format_frame(theirs).splitlines()[1] == "    ! RFC 6455 §5.2: RSV2 set"


def test_accept_lines() -> None:
    check = AcceptCheck(key="k", expected="E=", received="E=", ok=True)
    assert accept_line(check) == "Sec-WebSocket-Accept ok (expected E=)"
    missing = AcceptCheck(key="k", expected="E=", received=None, ok=False)
    assert accept_line(missing) == "Sec-WebSocket-Accept missing (expected E=)"
    wrong = AcceptCheck(key="k", expected="E=", received="\x1b[2Jx", ok=False)
    assert accept_line(wrong) == "Sec-WebSocket-Accept wrong: \\e[2Jx (expected E=)"


def test_problems_structured_or_not() -> None:
    v = Violation(Rule.HANDSHAKE_INVALID, "status 200 \x1b[2J, expected 101")
    assert format_problem(v) == "! status 200 \\e[2J, expected 101 (RFC 6455 §4)"
    assert format_problem("a sentence\x07") == "! a sentence\\x07"


def response(
    start: str, headers: tuple[tuple[str, str], ...] = (), body: bytes = b""
) -> HandshakeCaptured:
    head = "\r\n".join([start, *(f"{n}: {v}" for n, v in headers)]) + "\r\n\r\n"
    return HandshakeCaptured(0.1, Direction.IN, head.encode("latin-1") + body, start, headers)


def test_a_refusal_shows_no_accept_check() -> None:
    """A 200 or a 302 is not a 101 with a missing Accept: the check is not shown, the
    status problem is (the engine's error says why in one sentence)."""
    status = Violation(Rule.RESPONSE_STATUS, "status 200 OK, expected 101 Switching Protocols")
    page = HandshakeCaptured(
        0.1,
        Direction.IN,
        b"HTTP/1.1 200 OK\r\n\r\n<html>",
        "HTTP/1.1 200 OK",
        (),
        accept=AcceptCheck(key="k", expected="E=", received=None, ok=False),
        problems=(status,),
    )
    assert refused(page)
    assert list(handshake_lines(page, "<- ")) == [
        "<- HTTP/1.1 200 OK",
        "   ! status 200 OK, expected 101 Switching Protocols (RFC 6455 §4.1)",
    ]
    assert not refused(response("HTTP/1.1 101 Switching Protocols"))


def test_handshake_lines_and_states() -> None:
    event = HandshakeCaptured(
        0.1,
        Direction.IN,
        b"",
        "HTTP/1.1 101 \x1b[2J",
        (),
        accept=AcceptCheck(key="k", expected="E=", received=None, ok=False),
        problems=(Violation(Rule.ACCEPT_MISSING, "Sec-WebSocket-Accept is missing"),),
    )
    assert list(handshake_lines(event, "<- ")) == [
        "<- HTTP/1.1 101 \\e[2J",
        "   Sec-WebSocket-Accept missing (expected E=)",
        "   ! Sec-WebSocket-Accept is missing (RFC 6455 §4.1)",
    ]
    closed = StateChanged(1.0, ConnectionState.CLOSED, 1000, "bye\x9b", True, "de\x1btail")
    assert format_state(closed) == "** closed code=1000 reason='bye\\x9b' clean=True (de\\etail)"
    assert format_state(closed, detail=False) == "** closed code=1000 reason='bye\\x9b' clean=True"
    assert format_state(StateChanged(0.0, ConnectionState.OPEN)) == "** open"


class _AskingEveryView(Registry):
    """The default views without the registry's shortcuts (text_starts,
    text_priority): every view asked about every payload."""

    def contenders(self, data: bytes, meta: PayloadMeta) -> tuple[View, ...]:
        return tuple(self)

    def settled(self, data: bytes, meta: PayloadMeta) -> View | None:
        return None


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(max_size=60),
        st.sampled_from([b"msg 1", b'{"a": 1}', b"42[1]", b"CONNECT\n\n\x00", b"[1,2]", b""]),
    ),
    st.sampled_from([1, 2, 9]),
    st.sampled_from([None, "stomp", "graphql-transport-ws"]),
)
def test_choosing_asks_fewer_views_and_chooses_the_same(
    data: bytes, opcode: int, subprotocol: str | None
) -> None:
    meta = PayloadMeta(opcode, Role.SERVER, subprotocol, size=len(data))
    quick = PayloadRenderer(subprotocol=subprotocol)
    every = PayloadRenderer(_AskingEveryView(list(default_registry())), subprotocol=subprotocol)
    assert quick.choose(data, meta).name == every.choose(data, meta).name
    assert quick.summary(data, meta) == every.summary(data, meta)


# --------------------------------------------------------------- rows in bulk
def _rich() -> CaptureStore:
    from capture.conftest import rich_store

    return rich_store()


def test_rows_formatted_in_bulk_are_the_rows_of_each_frame() -> None:
    """Both directions, masked and unmasked, every length form, close frames,
    violations, payloads not kept whole: :func:`format_rows` reads the columns and
    says what :func:`format_frame` says of each frame."""
    store = _rich()
    masked = {bool(b1 & 0x80) for b1 in store.b1}
    assert masked == {True, False} and store.violations
    assert any(len(p) < n for p, n in zip(store.payloads, store.length, strict=True))
    # A summary ending in a space, and an empty one: rows are right-stripped.
    summaries = [f"summary {row} " if row % 2 else "" for row in range(len(store))]
    for direction in ("", "<- "):
        expected = [
            format_frame(store.frame(row), direction, summaries[row]) for row in range(len(store))
        ]
        assert format_rows(store, summaries, direction) == expected


@pytest.mark.parametrize("long", [False, True])
def test_rows_of_a_client_stream_and_of_a_server_stream(long: bool) -> None:
    # All masked, none masked, and only 7-bit lengths take their own formats.
    frames = ((1, b"hi"), (2, bytes(300 if long else 30)), (8, b"\x03\xe8bye"))
    for sender in (Role.CLIENT, Role.SERVER):
        proto = Protocol(sender.peer, auto_pong=False, auto_close=False)
        proto.receive_data(
            b"".join(b"".join(encode_frame(FrameSpec(op, data), sender)) for op, data in frames)
        )
        store = CaptureStore(SessionInfo("", SessionRole(sender.peer.value), "", 0.0))
        for event in proto.events_received():
            if isinstance(event, FrameBatch):
                store.add(FramesCaptured(0.0, Direction.IN, event))
        summaries = ["a", "b %d %s", "unused: a close frame shows its code"]
        for direction in ("", "%s -> "):
            rows = format_rows(store, summaries, direction)
            assert rows == [
                format_frame(store.frame(row), direction, summaries[row]) for row in range(3)
            ]
        assert rows[1].endswith("(16-bit len)  b %d %s" if long else "len=30  b %d %s")
        assert rows[2].endswith("code=1000 (Normal closure) reason='bye'")


@pytest.mark.parametrize("view", [None, "text", "hex", "json"])
def test_view_fields_made_with_the_line_are_the_rendered_views(view: str | None) -> None:
    """:class:`ViewFields` in :func:`iter_lines` (one pass: a text payload's rendered
    text taken from the line's own text) writes what rendering every payload and
    adding it to the finished lines (:func:`with_views`) writes."""
    from inspector.capture.formats.jsonl import iter_lines

    store = _rich()
    one = list(iter_lines(store, ViewFields(PayloadRenderer(view=view))))
    two = list(with_views(store, iter_lines(store), PayloadRenderer(view=view)))
    assert one == two
    views = {json.loads(line).get("view") for line in one}
    assert "text" in views or view not in (None, "text")
    assert len(views) > 1 or view is not None


def _text_flood() -> CaptureStore:
    """Client text frames, many of one size and first byte, some JSON (whose view
    the content decides), some empty, some on several lines."""
    payloads = [f"msg {i:04d}".encode() for i in range(40)]
    payloads += [b'{"n": 1}', b"{not json", b"[1, 2]", b"", b"", b"two\nlines", HOSTILE.encode()]
    payloads += [b"x" * 5000, b"x" * 5000, b"42", b"43"]
    proto = Protocol(Role.SERVER, auto_pong=False, auto_close=False)
    proto.receive_data(
        b"".join(b"".join(encode_frame(FrameSpec(1, p), Role.CLIENT)) for p in payloads)
    )
    store = CaptureStore(SessionInfo("", SessionRole.SERVER, "", 0.0), max_payload_bytes=None)
    for event in proto.events_received():
        if isinstance(event, FrameBatch):
            store.add(FramesCaptured(0.0, Direction.IN, event))
    return store


@pytest.mark.parametrize(
    ("view", "subprotocol"), [(None, None), ("hex", None), ("json", None), (None, "stomp")]
)
def test_summaries_of_a_store_are_each_frames_summary(
    view: str | None, subprotocol: str | None
) -> None:
    """:meth:`PayloadRenderer.row_summaries` (which reuses a flood's meta and view)
    says of every row what choosing and summarising that row alone says."""
    for store in (_rich(), _text_flood()):
        one = PayloadRenderer(view=view, subprotocol=subprotocol)
        summaries, rendered = one.row_summaries(store)
        each = PayloadRenderer(view=view, subprotocol=subprotocol)
        expected: list[str] = []
        under: dict[int, list[str]] = {}
        for row in range(len(store)):
            data, meta, whole = each.row_payload(store, row)
            chosen = each.choose(data, meta)
            expected.append(each.summary(data, meta, chosen))
            if whole and chosen.name not in ("text", "hex", "close"):
                under[row] = each.rendered_lines(data, meta, chosen)
        assert summaries == expected
        assert rendered == under
