"""Hostile servers: raw asyncio sockets that complete a valid handshake (or botch it on
purpose) and then misbehave. For each: no crash, a clear error or a violation (the
Rule on the frame in ``conn.store``, or an ErrorCaptured), everything captured before
the fault kept, and no task, transport or socket left behind (``run_async`` checks).
In strict mode the same violation fails the connection with the RFC close code on
the wire, which the hostile server reads back."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from inspector.capture.events import ConnectionState, Direction
from inspector.engine.client import MAX_REFUSAL_BODY, connect, new_client_connection
from inspector.engine.connection import Connection
from inspector.engine.options import ConnectError, ConnectOptions
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import Frame
from inspector.protocol.violations import Rule
from inspector.views.text import format_bytes

from ._engine_support import (
    HostileConn,
    HostileServer,
    Recorder,
    close_frames,
    finish,
    run_async,
    store_frames,
)

frame = HostileConn.frame
TEXT, BINARY, CONT, PING = Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING


def options(strict: bool = False, **kwargs: Any) -> ConnectOptions:
    kwargs.setdefault("deflate", False)
    kwargs.setdefault("close_timeout", 1)
    return ConnectOptions(strict=strict, open_timeout=3, **kwargs)


def bomb(size: int) -> bytes:
    """A permessage-deflate payload (RFC 7692 §7.2.1, tail removed) of ``size`` zeros."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c.compress(b"\0" * size) + c.flush(zlib.Z_SYNC_FLUSH)
    assert data.endswith(b"\x00\x00\xff\xff")
    return data[:-4]


# ------------------------------------------------------------ the handshake
async def _handshake_failure(script: Any, opts: ConnectOptions | None = None) -> Any:
    async with HostileServer(script) as server:
        conn = new_client_connection(server.url)
        with pytest.raises(ConnectError) as info:
            await connect(server.url, opts or options(), connection=conn)
        await server.done()
        await finish(conn)
    assert conn.final_state is not None and conn.final_state.clean is False
    assert conn.error is not None and conn.error.step == info.value.step
    return info.value, conn


def test_answer_200_instead_of_101() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n<html>hi</html>\n")

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        assert error.step == "handshake"
        assert error.message == (
            "the server answered 200 OK, not 101 Switching Protocols; body (16 B): “hi”"
        )
        assert error.refusal is not None and error.refusal.quote == "hi"
        assert (error.status, error.body) == (200, b"<html>hi</html>\n")
        response = conn.store.handshake(Direction.IN)
        assert response.start_line == "HTTP/1.1 200 OK"
        assert [p.rule for p in response.problems] == [Rule.RESPONSE_STATUS]
        assert response.raw.endswith(b"\r\n\r\n<html>hi</html>\n")
        assert response.accept is not None and response.accept.missing
        assert conn.store.handshake(Direction.OUT) is not None

    run_async(main)


def test_a_refusal_keeps_its_body_bounded_and_says_why_in_one_line() -> None:
    """Issue 9 item 17: an HTML error page sent in several writes after the head is
    kept in the capture (the first 64 KiB), and the reason is one line."""
    page = b"<html>" + b"<p>not here</p>\n" * 10_000 + b"</html>"

    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(page)}\r\n\r\n".encode()
        )
        await asyncio.sleep(0.05)
        for i in range(0, len(page), 4096):
            await hs.send(page[i : i + 4096])

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        head, quote = error.message.split(": “")
        assert head == (
            "the server answered 404 Not Found, not 101 Switching Protocols; "
            f"body ({format_bytes(len(page))}, text/html)"
        )
        # A short quote of the page's words, cut between two of them.
        assert quote.endswith("…”") and len(quote) <= 82
        assert set(quote[:-2].split(" ")) == {"not", "here"}
        assert error.status == 404 and error.body == page[:MAX_REFUSAL_BODY]
        response = conn.store.handshake(Direction.IN)
        head, _, body = response.raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 404 Not Found") and body == page[:MAX_REFUSAL_BODY]

    run_async(main)


def test_a_101_without_accept_says_missing_not_wrong() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
        )

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        assert error.message.startswith("Sec-WebSocket-Accept missing: the server must answer")
        assert "wrong" not in error.message
        response = conn.store.handshake(Direction.IN)
        assert [p.rule for p in response.problems] == [Rule.ACCEPT_MISSING]
        assert response.accept is not None and response.accept.missing

    run_async(main)


def test_wrong_accept() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake(accept="dGhlIHNhbXBsZSBub25jZQ==")

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        assert error.step == "handshake"
        assert "Sec-WebSocket-Accept wrong: 'dGhlIHNhbXBsZSBub25jZQ=='" in error.message
        assert "base64(SHA-1(key + GUID))" in error.message
        response = conn.store.handshake(Direction.IN)
        assert response.accept is not None and response.accept.ok is False
        assert response.accept.received == "dGhlIHNhbXBsZSBub25jZQ=="

    run_async(main)


@pytest.mark.parametrize(
    ("offered", "words"),
    [
        ((), "but the client offered none"),
        (("chat.v1", "chat.v2"), "which the client did not offer"),
    ],
)
def test_unoffered_subprotocol(offered: tuple[str, ...], words: str) -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake(subprotocol="chat.v9")

    async def main() -> None:
        error, conn = await _handshake_failure(script, options(subprotocols=offered))
        assert error.step == "handshake"
        assert "'chat.v9'" in error.message and words in error.message
        assert conn.store.handshake(Direction.IN).subprotocol == "chat.v9"

    run_async(main)


def test_unoffered_extension() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake(extensions="permessage-deflate")

    async def main() -> None:
        error, _ = await _handshake_failure(script, options(deflate=False))
        assert error.step == "handshake"
        assert "accepted extension 'permessage-deflate'" in error.message
        assert "offered no extensions" in error.message

    run_async(main)


def test_invalid_deflate_parameters() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake(extensions="permessage-deflate; server_max_window_bits=7")

    async def main() -> None:
        error, _ = await _handshake_failure(script, options(deflate=True))
        assert error.step == "handshake"
        assert "server_max_window_bits" in error.message

    run_async(main)


def test_not_http_at_all() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(b"SSH-2.0-OpenSSH_9.6\r\n" + bytes(range(256)) * 4)

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        assert error.step == "handshake"
        assert "HTTP" in error.message
        assert conn.store.handshake(Direction.IN).raw.startswith(b"SSH-2.0")

    run_async(main)


def test_connection_closed_during_the_handshake() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs")
        hs.writer.close()

    async def main() -> None:
        error, conn = await _handshake_failure(script)
        assert error.step == "handshake"
        assert "closed" in error.message.lower()
        assert conn.store.handshake(Direction.IN).raw.startswith(b"HTTP/1.1 101")

    run_async(main)


def test_reset_during_the_handshake() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(b"HTTP/1.1 101 Switching")
        await asyncio.sleep(0.05)
        hs.reset()

    async def main() -> None:
        error, _ = await _handshake_failure(script)
        assert error.step == "handshake"

    run_async(main)


def test_endless_header_block_is_bounded() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.read_request()
        await hs.send(b"HTTP/1.1 101 Switching Protocols\r\n")
        for i in range(2000):
            if not await hs.send(f"X-Filler-{i}: {'x' * 60}\r\n".encode()):
                return

    async def main() -> None:
        error, _ = await _handshake_failure(script)
        assert error.step == "handshake"
        assert "header block is over 65536 bytes" in error.message

    run_async(main)


# -------------------------------------------------------- frames: violations
@dataclass
class Case:
    bad: list[bytes]  # the misbehaving frames (after a valid "before" frame)
    rule: Rule
    code: int  # the close code of strict mode (RFC 6455 §7.4.1)
    continues: bool = True  # observe mode can still parse what follows
    deflate: bool = False  # negotiate permessage-deflate
    opts: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "invalid-utf8": Case([frame(TEXT, b"ok \xff\xfe")], Rule.INVALID_UTF8, 1007),
    "invalid-utf8-split-code-point": Case(
        [frame(TEXT, b"ab\xe2", fin=False), frame(CONT, b"\x28\xa1")], Rule.INVALID_UTF8, 1007
    ),
    "reserved-opcode-3": Case([frame(0x3, b"?")], Rule.RESERVED_OPCODE, 1002),
    "reserved-opcode-B": Case([frame(0xB)], Rule.RESERVED_OPCODE, 1002),
    "rsv2": Case([frame(TEXT, b"rsv2", rsv2=True)], Rule.RESERVED_BIT, 1002),
    "rsv1-without-deflate": Case([frame(TEXT, b"rsv1", rsv1=True)], Rule.RESERVED_BIT, 1002),
    "fragmented-ping": Case([frame(PING, b"frag", fin=False)], Rule.FRAGMENTED_CONTROL_FRAME, 1002),
    "long-ping": Case([frame(PING, b"p" * 126)], Rule.CONTROL_FRAME_TOO_LONG, 1002),
    "masked-server-frame": Case(
        [frame(TEXT, b"masked", mask=True, mask_key=b"abcd")], Rule.MASKED_SERVER_FRAME, 1002
    ),
    "unexpected-continuation": Case([frame(CONT, b"orphan")], Rule.UNEXPECTED_CONTINUATION, 1002),
    "expected-continuation": Case(
        [frame(TEXT, b"one", fin=False), frame(TEXT, b"two")], Rule.EXPECTED_CONTINUATION, 1002
    ),
    "non-minimal-length": Case(
        [frame(TEXT, b"short", length_form=64)], Rule.NON_MINIMAL_LENGTH, 1002
    ),
    "length-2**63": Case(
        [frame(BINARY, b"", length_form=64, declared_length=2**63) + b"\0" * 1000],
        Rule.LENGTH_TOP_BIT,
        1002,
        continues=False,
    ),
    "frame-too-large": Case(
        [frame(BINARY, b"x" * 5000)], Rule.FRAME_TOO_LARGE, 1009, opts={"max_frame_size": 1000}
    ),
    "message-too-large": Case(
        [frame(BINARY, b"x" * 600, fin=False), frame(CONT, b"y" * 600)],
        Rule.MESSAGE_TOO_LARGE,
        1009,
        opts={"max_message_size": 1000},
    ),
    "compression-bomb": Case(
        [frame(BINARY, bomb(8 * 2**20), rsv1=True)],
        Rule.INFLATE_TOO_LARGE,
        1009,
        deflate=True,
        opts={"max_message_size": 2**20},
    ),
    "corrupt-deflate": Case(
        [frame(TEXT, b"\xff\xff\xff\xff", rsv1=True)], Rule.INFLATE_ERROR, 1007, deflate=True
    ),
    "compressed-control-frame": Case(
        [frame(PING, b"z", rsv1=True)], Rule.COMPRESSED_CONTROL_FRAME, 1002, deflate=True
    ),
    # RSV1 belongs on the first frame of a compressed message only (RFC 7692 §6.1).
    "compressed-continuation": Case(
        [
            frame(TEXT, bomb(64)[:3], rsv1=True, fin=False),
            frame(CONT, bomb(64)[3:], rsv1=True),
        ],
        Rule.COMPRESSED_CONTINUATION,
        1002,
        deflate=True,
    ),
}


def _violation_rows(conn: Connection) -> list[tuple[Frame, Rule]]:
    return [(f, v.rule) for f in store_frames(conn, Direction.IN) for v in f.violations]


async def _frame_case(case: Case, strict: bool) -> tuple[Connection, Recorder, Frame | None]:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake(extensions="permessage-deflate" if case.deflate else None)
        await hs.send(frame(TEXT, b"before"), *case.bad)
        if strict:
            # Read the client's close frame before writing more: data sent to a socket
            # the client has closed would be answered with a reset that can discard it.
            return await hs.read_client()
        if case.continues:
            await hs.send(frame(TEXT, b"after"), hs.close(1000, "done"))
            return await hs.read_client()
        # The client never gets out of the huge frame: it sends nothing.
        return await hs.read_client(timeout=0.3)

    async with HostileServer(script) as server:
        rec = Recorder()
        conn = await connect(
            server.url,
            options(strict=strict, deflate=case.deflate, **case.opts),
            listeners=[rec],
        )
        (client_close,) = await server.done()
        await finish(conn)
    return conn, rec, client_close


@pytest.mark.parametrize("name", list(CASES))
def test_violation_observed(name: str) -> None:
    case = CASES[name]

    async def main() -> None:
        conn, rec, client_close = await _frame_case(case, strict=False)
        incoming = store_frames(conn, Direction.IN)
        # What came before the fault is kept, whole and clean.
        assert incoming[0].payload == b"before" and not incoming[0].violations
        assert rec.messages()[0].text == "before"
        rules = [rule for _, rule in _violation_rows(conn)]
        assert case.rule in rules, rules
        flagged = next(f for f, rule in _violation_rows(conn) if rule is case.rule)
        violation = next(v for v in flagged.violations if v.rule is case.rule)
        assert violation.message and violation.offset is not None
        assert violation.rule.rfc.startswith("RFC ")
        final = conn.final_state
        assert final is not None
        if case.continues:
            # Observe mode carries on: the next message and the closing handshake work.
            assert any(m.text == "after" for m in rec.messages())
            assert client_close is not None and client_close.close_code == 1000
            assert (final.code, final.reason, final.clean) == (1000, "done", True)
            assert conn.error is None
        else:
            assert client_close is None
            assert (final.code, final.clean) == (1006, False)
            (stray,) = rec.violations()
            assert stray.violation.rule is Rule.INCOMPLETE_FRAME

    run_async(main)


@pytest.mark.parametrize("name", list(CASES))
def test_violation_fails_the_connection_in_strict_mode(name: str) -> None:
    case = CASES[name]

    async def main() -> None:
        conn, rec, client_close = await _frame_case(case, strict=True)
        incoming = store_frames(conn, Direction.IN)
        assert incoming[0].payload == b"before" and not incoming[0].violations
        # The close frame on the wire carries the code RFC 6455 §7.4.1 prescribes.
        assert client_close is not None, "the client sent no close frame"
        assert client_close.close_code == case.code
        assert client_close.masked
        (ours,) = close_frames(store_frames(conn, Direction.OUT))
        assert ours.close_code == case.code
        assert conn.error is not None and conn.error.step == "protocol"
        assert f"failing the connection with {case.code}" in conn.error.message
        assert case.rule.slug in conn.error.message
        final = conn.final_state
        assert final is not None and final.clean is False
        assert case.rule.slug in final.detail
        # Nothing after the fault was processed.
        assert not any(m.text == "after" for m in rec.messages())

    run_async(main)


# ----------------------------------------------------------- other misbehaviour
def test_first_frame_in_the_same_segment_as_the_101() -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake(first=frame(TEXT, b"early bird") + frame(PING, b"early ping"))
        await hs.send(hs.close(1000))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, options(), listeners=[rec])
            (close,) = await server.done()
            await finish(conn)
        assert rec.messages()[0].text == "early bird"
        pong = [f for f in server.conns[0].client_frames if f.opcode == Opcode.PONG]
        assert [f.payload for f in pong] == [b"early ping"]
        assert close is not None and close.close_code == 1000
        events = rec.events
        opened = next(
            i for i, e in enumerate(events) if getattr(e, "state", None) is ConnectionState.OPEN
        )
        first_frames = next(i for i, e in enumerate(events) if type(e).__name__ == "FramesCaptured")
        assert opened < first_frames

    run_async(main)


def test_reset_mid_frame_keeps_what_came_before() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        whole = frame(BINARY, b"z" * 1000)
        await hs.send(frame(TEXT, b"before"), whole[:300])
        await asyncio.sleep(0.1)  # let the client read the first part
        hs.reset()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, options(), listeners=[rec])
            await server.done()
            await finish(conn)
        incoming = store_frames(conn, Direction.IN)
        assert [f.payload for f in incoming] == [b"before"]
        final = conn.final_state
        assert final is not None and (final.code, final.clean) == (1006, False)
        assert "without a close frame" in final.detail
        # The reset is reported, and so is the frame it cut off.
        assert conn.error is not None and conn.error.step == "read"
        assert "reset" in conn.error.message.lower()
        (stray,) = rec.violations()
        assert stray.violation.rule is Rule.INCOMPLETE_FRAME
        assert "ended with 300 bytes of an incomplete frame" in stray.violation.message
        assert conn.store is not None and stray in conn.store.events

    run_async(main)


def test_tcp_closed_without_close_frame() -> None:
    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await hs.send(frame(TEXT, b"before"))

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            await server.done()
            await finish(conn)
        assert [f.payload for f in store_frames(conn, Direction.IN)] == [b"before"]
        final = conn.final_state
        assert final is not None and (final.code, final.clean) == (1006, False)
        assert final.detail == "the TCP connection closed without a close frame"
        assert conn.error is None

    run_async(main)


def test_server_keeps_tcp_open_after_the_closing_handshake() -> None:
    """After the closing handshake the server must close TCP first (RFC 6455 §7.1.1);
    a client gives up waiting after close_timeout."""

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await hs.send(hs.close(1000, "bye"))
        await hs.read_client()
        await hs.reader.read()  # hold the TCP connection until the client drops it

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, options(close_timeout=0.2), listeners=[rec])
            # Ended by our close_timeout: well before the server script's own bounds.
            await server.done(timeout=2)
            await finish(conn, timeout=2)
        final = conn.final_state
        assert final is not None and (final.code, final.clean) == (1000, True)
        (late,) = rec.errors()
        assert late.step == "close" and not late.fatal
        assert "did not close the TCP connection within 0.2 s" in late.message

    run_async(main)


@pytest.mark.parametrize(
    ("payload", "rule", "reply"),
    [
        (b"\x03", Rule.CLOSE_PAYLOAD_ONE_BYTE, 1002),
        ((1005).to_bytes(2, "big"), Rule.INVALID_CLOSE_CODE, 1002),
        ((1000).to_bytes(2, "big") + b"\xff", Rule.INVALID_CLOSE_REASON, 1007),
    ],
)
def test_invalid_close_frame(payload: bytes, rule: Rule, reply: int) -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await hs.send(frame(TEXT, b"before"), frame(Opcode.CLOSE, payload))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            (reply_frame,) = await server.done()
            await finish(conn)
        assert [r for _, r in _violation_rows(conn)] == [rule]
        assert reply_frame is not None and reply_frame.close_code == reply
        assert conn.final_state is not None and conn.final_state.state is ConnectionState.CLOSED

    run_async(main)


def test_frames_after_close_are_flagged() -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await hs.send(hs.close(1000), frame(TEXT, b"zombie"))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            await server.done()
            await finish(conn)
        rules = [r for _, r in _violation_rows(conn)]
        assert rules == [Rule.FRAME_AFTER_CLOSE]

    run_async(main)


def test_trickled_256_kib_frame() -> None:
    """A 256 KiB frame sent a byte at a time (then a few KiB per tick) arrives whole and
    costs time linear in its size."""
    payload = bytes(range(256)) * 1024
    data = frame(BINARY, payload)

    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        pos = 0
        for _ in range(3000):  # one byte per write for the header and the first 3000
            hs.writer.write(data[pos : pos + 1])
            pos += 1
            if pos % 64 == 0:
                await asyncio.sleep(0)
        while pos < len(data):
            for _ in range(4096 // 64):  # 64-byte writes, 4 KiB per tick
                hs.writer.write(data[pos : pos + 64])
                pos += 64
            await hs.writer.drain()
            await asyncio.sleep(0)
        await hs.send(hs.close(1000))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            rec = Recorder()
            conn = await connect(server.url, options(read_size=4096), listeners=[rec])
            # Quadratic buffering would take minutes: bounded well below that.
            await server.done(timeout=8)
            await finish(conn)
        (message,) = rec.messages()
        assert message.data == payload
        incoming = store_frames(conn, Direction.IN)
        assert [f.opcode for f in incoming] == [BINARY, Opcode.CLOSE]
        assert not incoming[0].violations
        assert conn.final_state is not None and conn.final_state.clean

    run_async(main, timeout=20)


def test_flood_of_pings_is_answered_in_order() -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await hs.send(b"".join(frame(PING, str(i).encode()) for i in range(2000)))
        await hs.send(hs.close(1000))
        return await hs.read_client()

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            await server.done()
            await finish(conn)
        pongs = [f.payload for f in server.conns[0].client_frames if f.opcode == Opcode.PONG]
        assert pongs == [str(i).encode() for i in range(2000)]

    run_async(main)


def test_strict_failure_stops_processing_the_rest_of_the_read() -> None:
    """RFC 6455 §7.1.7: once failed, the peer's data is not processed any more, even
    frames that arrived in the same read: they are captured, not acted on."""

    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await hs.send(
            frame(TEXT, b"before") + frame(TEXT, b"\xff") + frame(TEXT, b"after") + frame(PING)
        )
        return await hs.read_client()

    async def main() -> None:
        handled: list[str | None] = []
        async with HostileServer(script) as server:
            conn = new_client_connection(server.url)
            conn.on_message = lambda m: handled.append(m.text)
            await connect(server.url, options(strict=True), connection=conn)
            (close,) = await server.done()
            await finish(conn)
        assert close is not None and close.close_code == 1007
        assert "before" in handled and "after" not in handled
        # The frames are all in the capture, but the ping got no pong.
        opcodes = [f.opcode for f in store_frames(conn, Direction.IN)]
        assert opcodes == [TEXT, TEXT, TEXT, PING]
        assert [f.opcode for f in server.conns[0].client_frames] == [Opcode.CLOSE]

    run_async(main)


def test_drain_returns_when_a_server_that_stopped_reading_resets() -> None:
    """A server that stops reading pauses our writes; when it then resets the
    connection, every drain() waiting on it returns instead of hanging."""

    async def script(hs: HostileConn) -> None:
        await hs.handshake()
        await asyncio.sleep(0.3)  # read nothing
        hs.reset()

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            for _ in range(64):
                if conn._paused:
                    break
                conn.send_binary(b"x" * 2**20)
            assert conn._paused, "the writes never filled the socket buffers"
            waiters = [asyncio.ensure_future(conn.drain()) for _ in range(3)]
            await asyncio.wait_for(asyncio.gather(*waiters), 3)
            await server.done()
            await finish(conn)
        assert conn.final_state is not None and conn.final_state.clean is False
        await conn.drain()  # and on a closed connection it returns at once

    run_async(main)


def test_drain_waits_for_a_slow_reader() -> None:
    async def script(hs: HostileConn) -> Frame | None:
        await hs.handshake()
        await asyncio.sleep(0.2)
        return await hs.read_client(timeout=5)

    async def main() -> None:
        async with HostileServer(script) as server:
            conn = await connect(server.url, options())
            while not conn._paused:
                conn.send_binary(b"y" * 2**20)
            waiter = asyncio.ensure_future(conn.drain())
            await asyncio.sleep(0)
            assert not waiter.done()  # it waits for the reader...
            await asyncio.wait_for(waiter, 5)  # ... which reads in time
            assert conn.transport is not None
            assert conn.transport.get_write_buffer_size() <= 64 * 1024
            conn.send_close(1000)
            await server.done()
            conn.abort()
            await finish(conn)

    run_async(main)
