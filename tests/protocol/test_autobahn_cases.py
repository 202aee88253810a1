"""Cases modelled on the Autobahn TestSuite categories that apply to a client receiving
from a server, written from the category descriptions (not taken from the suite).

Each case is what a server sends (frames, and how the bytes are chopped) and the exact
outcome in strict mode: the messages and failures reported in order, every violation
recorded on the frames, and what we send back (pongs, close frames and their codes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from inspector.protocol.connection import Protocol
from inspector.protocol.constants import ConnectionState, Opcode, Role
from inspector.protocol.events import Failure, Message
from inspector.protocol.frames import Frame, FrameBatch, FrameSpec, encode_frame
from inspector.protocol.parser import FrameParser
from inspector.protocol.violations import Rule

TEXT, BINARY, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def f(opcode: int, payload: bytes | str = b"", fin: bool = True, **kw: Any) -> bytes:
    """A frame as a server sends it (unmasked)."""
    data = payload.encode() if isinstance(payload, str) else payload
    return b"".join(encode_frame(FrameSpec(opcode, data, fin=fin, **kw), Role.SERVER))


def close(code: int | None = None, reason: bytes | str = b"") -> bytes:
    raw = reason.encode() if isinstance(reason, str) else reason
    return f(CLOSE, b"" if code is None else code.to_bytes(2, "big") + raw)


def msg(opcode: int, data: bytes | str) -> tuple[Any, ...]:
    return ("msg", opcode, data.encode() if isinstance(data, str) else data)


def fail(rule: Rule) -> tuple[Any, ...]:
    return ("fail", rule.close_code, rule)


def pong(payload: bytes | str = b"") -> tuple[Any, ...]:
    return ("pong", payload.encode() if isinstance(payload, str) else payload)


def closed(code: int | None) -> tuple[Any, ...]:
    return ("close", code)


@dataclass(frozen=True)
class Case:
    id: str
    frames: tuple[bytes, ...]
    events: tuple[tuple[Any, ...], ...]  # messages and failures, in order
    rules: tuple[Rule, ...] = ()  # every violation recorded, in stream order
    replies: tuple[tuple[Any, ...], ...] = ()  # what we send back
    chop: str | int = "whole"  # "whole", "frames", "bytes" or a chunk size
    detail: str = ""  # text the first violation's message contains
    state: ConnectionState = ConnectionState.OPEN
    bad_seq: int | None = None  # the frame that carries the first violation


def case(id: str, frames: list[bytes], events: list[tuple[Any, ...]], **kw: Any) -> Case:
    rules = kw.pop("rules", ())
    replies = kw.pop("replies", ())
    return Case(id, tuple(frames), tuple(events), tuple(rules), tuple(replies), **kw)


def chops(c: Case) -> Iterator[bytes]:
    data = b"".join(c.frames)
    if c.chop == "whole":
        yield data
    elif c.chop == "frames":
        yield from c.frames
    elif c.chop == "bytes":
        for i in range(len(data)):
            yield data[i : i + 1]
    else:
        assert isinstance(c.chop, int)
        for i in range(0, len(data), c.chop):
            yield data[i : i + c.chop]


HELLO = "Hello, world!"
BIN = bytes([0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF])


# ---------------------------------------------------------------- 1.x framing
def framing() -> list[Case]:
    out = []
    sizes = [0, 125, 126, 127, 128, 65535, 65536]
    for i, n in enumerate(sizes, 1):
        out.append(case(f"1.1.{i}", [f(TEXT, "*" * n)], [msg(TEXT, "*" * n)]))
        out.append(case(f"1.2.{i}", [f(BINARY, b"\xfe" * n)], [msg(BINARY, b"\xfe" * n)]))
    out.append(case("1.1.8", [f(TEXT, "*" * 65536)], [msg(TEXT, "*" * 65536)], chop=997))
    out.append(
        case("1.2.8", [f(BINARY, b"\xfe" * 65536)], [msg(BINARY, b"\xfe" * 65536)], chop=997)
    )
    # Lengths at the edge of each form, byte by byte through the header.
    for i, n in enumerate([125, 126, 127, 128], 9):
        out.append(case(f"1.1.{i}", [f(TEXT, "x" * n)], [msg(TEXT, "x" * n)], chop="bytes"))
    return out


# ---------------------------------------------------------------- 2.x pings and pongs
def pings() -> list[Case]:
    ten = [f(PING, f"payload-{i}") for i in range(10)]
    return [
        case("2.1", [f(PING)], [], replies=[pong()]),
        case("2.2", [f(PING, HELLO)], [], replies=[pong(HELLO)]),
        case("2.3", [f(PING, BIN)], [], replies=[pong(BIN)]),
        case("2.4", [f(PING, b"\xfe" * 125)], [], replies=[pong(b"\xfe" * 125)]),
        case(
            "2.5",
            [f(PING, b"\xfe" * 126)],
            [fail(Rule.CONTROL_FRAME_TOO_LONG)],
            rules=[Rule.CONTROL_FRAME_TOO_LONG],
            replies=[closed(1002)],
            detail="PING frame with a 126-byte payload",
            state=ConnectionState.CLOSING,
        ),
        case("2.6", [f(PING, b"\xfe" * 125)], [], replies=[pong(b"\xfe" * 125)], chop="bytes"),
        case("2.7", [f(PONG)], []),
        case("2.8", [f(PONG, "unsolicited pong payload")], []),
        case(
            "2.9", [f(PONG, "unsolicited"), f(PING, "solicited")], [], replies=[pong("solicited")]
        ),
        case("2.10", ten, [], replies=[pong(f"payload-{i}") for i in range(10)]),
        case("2.11", ten, [], replies=[pong(f"payload-{i}") for i in range(10)], chop="bytes"),
    ]


# ---------------------------------------------------------------- 3.x reserved bits
def reserved_bits() -> list[Case]:
    def bad(id: str, frames: list[bytes], events: list[tuple[Any, ...]], chop: Any) -> Case:
        return case(
            id,
            frames,
            events,
            rules=[Rule.RESERVED_BIT],
            replies=[closed(1002)],  # and no pong for the ping after the bad frame
            chop=chop,
            state=ConnectionState.CLOSING,
        )

    r = Rule.RESERVED_BIT
    return [
        bad("3.1", [f(TEXT, HELLO, rsv1=True)], [fail(r), msg(TEXT, HELLO)], "whole"),
        bad(
            "3.2",
            [f(TEXT, HELLO), f(TEXT, HELLO, rsv2=True), f(PING, HELLO)],
            [msg(TEXT, HELLO), fail(r), msg(TEXT, HELLO)],
            "whole",
        ),
        bad(
            "3.3",
            [f(TEXT, HELLO), f(TEXT, HELLO, rsv2=True, rsv3=True), f(PING, HELLO)],
            [msg(TEXT, HELLO), fail(r), msg(TEXT, HELLO)],
            "frames",
        ),
        bad(
            "3.4",
            [f(TEXT, HELLO), f(TEXT, HELLO, rsv1=True), f(PING, HELLO)],
            [msg(TEXT, HELLO), fail(r), msg(TEXT, HELLO)],
            "bytes",
        ),
        bad("3.5", [f(BINARY, BIN, rsv1=True, rsv3=True)], [fail(r), msg(BINARY, BIN)], "whole"),
        bad("3.6", [f(PING, HELLO, rsv1=True, rsv2=True)], [fail(r)], "whole"),
        bad("3.7", [f(CLOSE, b"\x03\xe8", rsv1=True, rsv2=True, rsv3=True)], [fail(r)], "whole"),
    ]


# ---------------------------------------------------------------- 4.x opcodes
def opcodes() -> list[Case]:
    out = []
    for group, codes in (("4.1", [3, 4, 5, 6, 7]), ("4.2", [11, 12, 13, 14, 15])):
        for i, op in enumerate(codes, 1):
            payload = b"" if i in (1, 3) else b"reserved opcode payload"
            frames = [f(op, payload)] if i <= 2 else [f(TEXT, HELLO), f(op, payload), f(PING)]
            events = (
                [fail(Rule.RESERVED_OPCODE)]
                if i <= 2
                else [
                    msg(TEXT, HELLO),
                    fail(Rule.RESERVED_OPCODE),
                ]
            )
            out.append(
                case(
                    f"{group}.{i}",
                    frames,
                    events,
                    rules=[Rule.RESERVED_OPCODE],
                    replies=[closed(1002)],
                    chop="bytes" if i == 5 else "whole",
                    detail=f"reserved opcode 0x{op:X}",
                    state=ConnectionState.CLOSING,
                )
            )
    return out


# ---------------------------------------------------------------- 5.x fragmentation
def fragmentation() -> list[Case]:
    frag2 = [f(TEXT, "fragment1", fin=False), f(CONT, "fragment2")]
    with_ping = [f(TEXT, "fragment1", fin=False), f(PING, "ping"), f(CONT, "fragment2")]
    unexpected = Rule.UNEXPECTED_CONTINUATION
    out = [
        case(
            "5.1",
            [f(PING, "fragment1", fin=False), f(CONT, "fragment2")],
            [fail(Rule.FRAGMENTED_CONTROL_FRAME)],
            rules=[Rule.FRAGMENTED_CONTROL_FRAME, unexpected],
            replies=[closed(1002)],
            state=ConnectionState.CLOSING,
        ),
        case(
            "5.2",
            [f(PONG, "fragment1", fin=False), f(CONT, "fragment2")],
            [fail(Rule.FRAGMENTED_CONTROL_FRAME)],
            rules=[Rule.FRAGMENTED_CONTROL_FRAME, unexpected],
            replies=[closed(1002)],
            detail="PONG frame with FIN=0",
            state=ConnectionState.CLOSING,
        ),
        case("5.3", frag2, [msg(TEXT, "fragment1fragment2")]),
        case("5.4", frag2, [msg(TEXT, "fragment1fragment2")], chop="frames"),
        case("5.5", frag2, [msg(TEXT, "fragment1fragment2")], chop="bytes"),
        case("5.6", with_ping, [msg(TEXT, "fragment1fragment2")], replies=[pong("ping")]),
        case(
            "5.7",
            with_ping,
            [msg(TEXT, "fragment1fragment2")],
            replies=[pong("ping")],
            chop="frames",
        ),
        case(
            "5.8",
            with_ping,
            [msg(TEXT, "fragment1fragment2")],
            replies=[pong("ping")],
            chop="bytes",
        ),
    ]
    # 5.9-5.17: a continuation with nothing to continue, then a text message.
    for i, (fin, chop) in enumerate(
        [
            (True, "whole"),
            (True, "frames"),
            (True, "bytes"),
            (False, "whole"),
            (False, "frames"),
            (False, "bytes"),
        ],
        9,
    ):
        out.append(
            case(
                f"5.{i}",
                [f(CONT, "fragment2", fin=fin), f(TEXT, "fragment1")],
                [fail(unexpected), msg(TEXT, "fragment1")],
                rules=[unexpected],
                replies=[closed(1002)],
                chop=chop,
                detail="continuation frame with no fragmented message to continue",
                state=ConnectionState.CLOSING,
            )
        )
    out += [
        case(
            "5.15",
            [
                f(TEXT, "fragment1", fin=False),
                f(CONT, "fragment2"),
                f(CONT, "fragment3", fin=False),
                f(TEXT, "fragment4"),
            ],
            [msg(TEXT, "fragment1fragment2"), fail(unexpected), msg(TEXT, "fragment4")],
            rules=[unexpected],
            replies=[closed(1002)],
            state=ConnectionState.CLOSING,
        ),
        case(
            "5.16",
            [f(CONT, "fragment1", fin=False), f(TEXT, "fragment2", fin=False), f(CONT, "fragment3")]
            * 2,
            [fail(unexpected), msg(TEXT, "fragment2fragment3"), msg(TEXT, "fragment2fragment3")],
            rules=[unexpected, unexpected],
            replies=[closed(1002)],
            state=ConnectionState.CLOSING,
        ),
        case(
            "5.17",
            [f(CONT, "fragment1"), f(TEXT, "fragment2", fin=False), f(CONT, "fragment3")] * 2,
            [fail(unexpected), msg(TEXT, "fragment2fragment3"), msg(TEXT, "fragment2fragment3")],
            rules=[unexpected, unexpected],
            replies=[closed(1002)],
            state=ConnectionState.CLOSING,
        ),
        case(
            "5.18",
            [f(TEXT, "fragment1", fin=False), f(TEXT, "fragment2")],
            [fail(Rule.EXPECTED_CONTINUATION), msg(TEXT, "fragment2")],
            rules=[Rule.EXPECTED_CONTINUATION],
            replies=[closed(1002)],
            detail="TEXT frame while the TEXT message begun at frame #0 is unfinished",
            state=ConnectionState.CLOSING,
        ),
    ]
    five = [
        f(TEXT, "fragment1", fin=False),
        f(CONT, "fragment2", fin=False),
        f(PING, "pongme 1!"),
        f(CONT, "fragment3", fin=False),
        f(PING, "pongme 2!"),
        f(CONT, "fragment4", fin=False),
        f(CONT, "fragment5"),
    ]
    expected = [msg(TEXT, "fragment1fragment2fragment3fragment4fragment5")]
    out += [
        case("5.19", five, expected, replies=[pong("pongme 1!"), pong("pongme 2!")]),
        case("5.20", five, expected, replies=[pong("pongme 1!"), pong("pongme 2!")], chop="frames"),
    ]
    return out


# ---------------------------------------------------------------- 6.x UTF-8
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"  # "κόσμε" with U+1F79: 11 bytes

VALID_UTF8 = [
    # (id, payload)
    ("6.2.1", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
    ("6.5.1", KOSME),
    ("6.5.2", "\U0001f600 emoji \u20ac euro".encode()),
    ("6.7.1", b"\x00"),
    ("6.7.2", b"\xc2\x80"),
    ("6.7.3", b"\xe0\xa0\x80"),
    ("6.7.4", b"\xf0\x90\x80\x80"),
    ("6.9.1", b"\x7f"),
    ("6.9.2", b"\xdf\xbf"),
    ("6.9.3", b"\xef\xbf\xbf"),
    ("6.9.4", b"\xf4\x8f\xbf\xbf"),
    ("6.11.1", b"\xed\x9f\xbf"),  # U+D7FF
    ("6.11.2", b"\xee\x80\x80"),  # U+E000
    ("6.11.3", b"\xef\xbf\xbd"),  # U+FFFD
    ("6.11.4", b"\xf4\x8f\xbf\xbf"),  # U+10FFFF
    ("6.22.1", b"\xef\xbf\xbe"),  # noncharacter U+FFFE: valid UTF-8
    ("6.22.2", b"\xf0\x9f\xbf\xbe"),  # U+1FFFE
    ("6.22.3", b"\xf4\x8f\xbf\xbe"),  # U+10FFFE
]

INVALID_UTF8 = [
    # (id, payload, byte position reported, index of the byte that gives it away,
    #  reason in the message). The index is where a 1-byte-per-frame message fails
    #  (fail fast, Autobahn 6.4): the first byte no valid sequence can continue with,
    #  except that CPython's decoder accepts ED A0-BF (a surrogate's first two bytes)
    #  and rejects only at the third byte; a truncated sequence fails at the end.
    ("6.3.1", KOSME + b"\xed\xa0\x80" + b"edited", 11, 13, "invalid continuation byte"),
    ("6.4.1", KOSME + b"\xf4\x90\x80\x80" + b"edited", 11, 12, "invalid continuation byte"),
    ("6.8.1", b"\xf8\x88\x80\x80\x80", 0, 0, "invalid start byte"),  # 5-byte form
    ("6.8.2", b"\xfc\x84\x80\x80\x80\x80", 0, 0, "invalid start byte"),  # 6-byte form
    ("6.9.5", b"\xf7\xbf\xbf\xbf", 0, 0, "invalid start byte"),  # U+1FFFFF
    ("6.10.1", b"\xfb\xbf\xbf\xbf\xbf", 0, 0, "invalid start byte"),
    ("6.10.2", b"\xfd\xbf\xbf\xbf\xbf\xbf", 0, 0, "invalid start byte"),
    ("6.11.5", b"\xf4\x90\x80\x80", 0, 1, "invalid continuation byte"),  # > U+10FFFF
    ("6.12.1", b"\x80", 0, 0, "invalid start byte"),
    ("6.12.2", b"\xbf", 0, 0, "invalid start byte"),
    ("6.12.3", b"a\x80\xbf", 1, 1, "invalid start byte"),
    ("6.13.1", b"\xc0 \xc1 ", 0, 0, "invalid start byte"),
    ("6.13.2", b"\xe0 ", 0, 1, "invalid continuation byte"),
    ("6.13.3", b"\xf0 ", 0, 1, "invalid continuation byte"),
    ("6.14.1", b"\xc2", 0, 0, "truncated code point"),
    ("6.14.2", b"ok\xe0\xa0", 2, 3, "truncated code point"),
    ("6.14.3", b"\xf0\x90\x80", 0, 2, "truncated code point"),
    ("6.14.4", b"\xdf", 0, 0, "truncated code point"),
    ("6.14.5", b"\xef\xbf", 0, 1, "truncated code point"),
    ("6.15.1", b"\xc2\xe0\xa0\xf0\x90\x80", 0, 1, "invalid continuation byte"),
    ("6.16.1", b"\xfe", 0, 0, "invalid start byte"),
    ("6.16.2", b"\xff", 0, 0, "invalid start byte"),
    ("6.16.3", b"ab\xfe\xfe\xff\xff", 2, 2, "invalid start byte"),
    ("6.17.1", b"\xc0\xaf", 0, 0, "invalid start byte"),  # overlong "/"
    ("6.17.2", b"\xe0\x80\xaf", 0, 1, "invalid continuation byte"),
    ("6.17.3", b"\xf0\x80\x80\xaf", 0, 1, "invalid continuation byte"),
    ("6.18.1", b"\xc1\xbf", 0, 0, "invalid start byte"),  # maximum overlong
    ("6.18.2", b"\xe0\x9f\xbf", 0, 1, "invalid continuation byte"),
    ("6.18.3", b"\xf0\x8f\xbf\xbf", 0, 1, "invalid continuation byte"),
    ("6.19.1", b"\xc0\x80", 0, 0, "invalid start byte"),  # overlong NUL
    ("6.19.2", b"\xe0\x80\x80", 0, 1, "invalid continuation byte"),
    ("6.20.1", b"\xed\xa0\x80", 0, 2, "invalid continuation byte"),  # U+D800
    ("6.20.2", b"\xed\xad\xbf", 0, 2, "invalid continuation byte"),  # U+DB7F
    ("6.20.3", b"\xed\xb0\x80", 0, 2, "invalid continuation byte"),  # U+DC00
    ("6.20.4", b"x\xed\xbf\xbf", 1, 3, "invalid continuation byte"),  # U+DFFF
    ("6.21.1", b"\xed\xa0\x80\xed\xb0\x80", 0, 2, "invalid continuation byte"),  # paired
    ("6.21.2", b"\xed\xaf\xbf\xed\xbf\xbf", 0, 2, "invalid continuation byte"),
]


def per_byte_frames(payload: bytes) -> list[bytes]:
    if not payload:
        return [f(TEXT)]
    n = len(payload)
    return [f(TEXT if i == 0 else CONT, payload[i : i + 1], fin=i == n - 1) for i in range(n)]


def one_frame(payload: bytes) -> list[bytes]:
    return [f(TEXT, payload)]


UTF8_MODES: list[tuple[str, Callable[[bytes], list[bytes]], str]] = [
    # (suffix, frames from payload, chop)
    ("whole", one_frame, "whole"),
    ("per-frame", per_byte_frames, "whole"),
    ("per-byte", one_frame, "bytes"),
]


def utf8() -> list[Case]:
    out = [
        case("6.1.1", [f(TEXT)], [msg(TEXT, "")]),
        case("6.1.2", [f(TEXT, fin=False), f(CONT, fin=False), f(CONT)], [msg(TEXT, "")]),
        case(
            "6.1.3",
            [f(TEXT, fin=False), f(CONT, "middle", fin=False), f(CONT)],
            [msg(TEXT, "middle")],
        ),
    ]
    for id, payload in VALID_UTF8:
        for suffix, make, chop in UTF8_MODES:
            out.append(case(f"{id}/{suffix}", make(payload), [msg(TEXT, payload)], chop=chop))
    for id, payload, at, det, reason in INVALID_UTF8:
        for suffix, make, chop in UTF8_MODES:
            per_frame = suffix == "per-frame"
            # The failure comes first: on the frame that breaks the text, which is the
            # message's last frame or an earlier one.
            events = [fail(Rule.INVALID_UTF8), msg(TEXT, payload)]
            out.append(
                case(
                    f"{id}/{suffix}",
                    make(payload),
                    events,
                    rules=[Rule.INVALID_UTF8],
                    replies=[closed(1007)],
                    chop=chop,
                    detail=f"invalid UTF-8 at byte {at} of the message",
                    state=ConnectionState.CLOSING,
                    bad_seq=det if per_frame else 0,
                )
            )
            assert reason  # checked below, per case
    return out


INVALID_REASONS = {id: reason for id, _, _, _, reason in INVALID_UTF8}


# ---------------------------------------------------------------- 7.x close
def closing() -> list[Case]:
    bye = ConnectionState.CLOSING
    out = [
        case(
            "7.1.1",
            [f(TEXT, HELLO), close(1000)],
            [msg(TEXT, HELLO)],
            replies=[closed(1000)],
            state=bye,
        ),
        case(
            "7.1.2",
            [close(1000), close(1000)],
            [],  # recorded, not failed: the closing handshake is under way
            rules=[Rule.FRAME_AFTER_CLOSE],
            replies=[closed(1000)],  # our echo, and nothing for the second close
            detail="CLOSE frame after the peer's close frame #0",
            state=bye,
        ),
        case(
            "7.1.3",
            [close(1000), f(PING, HELLO)],
            [],  # recorded, not failed: the closing handshake is under way
            rules=[Rule.FRAME_AFTER_CLOSE],
            replies=[closed(1000)],  # no pong
            state=bye,
        ),
        case(
            "7.1.4",
            [close(1000), f(TEXT, HELLO)],
            [msg(TEXT, HELLO)],
            rules=[Rule.FRAME_AFTER_CLOSE],
            replies=[closed(1000)],
            state=bye,
        ),
        case(
            "7.1.5",
            [f(TEXT, "fragment1", fin=False), close(1000), f(CONT, "fragment2")],
            [msg(TEXT, "fragment1fragment2")],
            rules=[Rule.FRAME_AFTER_CLOSE],
            replies=[closed(1000)],
            state=bye,
        ),
        case(
            "7.1.6",
            [f(TEXT, "BAsd7&jh23" * 26214), f(TEXT, HELLO), close(1000), f(PING)],
            [msg(TEXT, "BAsd7&jh23" * 26214), msg(TEXT, HELLO)],
            rules=[Rule.FRAME_AFTER_CLOSE],
            replies=[closed(1000)],
            chop=4096,
            state=bye,
        ),
        case("7.3.1", [close()], [], replies=[closed(None)], state=bye),
        case(
            "7.3.2",
            [f(CLOSE, b"\x03")],
            [fail(Rule.CLOSE_PAYLOAD_ONE_BYTE)],
            rules=[Rule.CLOSE_PAYLOAD_ONE_BYTE],
            replies=[closed(1002)],
            state=bye,
        ),
        case("7.3.3", [close(1000)], [], replies=[closed(1000)], state=bye),
        case("7.3.4", [close(1000, "Hello World!")], [], replies=[closed(1000)], state=bye),
        case("7.3.5", [close(1000, "*" * 123)], [], replies=[closed(1000)], state=bye),
        case(
            "7.3.6",
            [close(1000, "*" * 124)],
            [fail(Rule.CONTROL_FRAME_TOO_LONG)],
            rules=[Rule.CONTROL_FRAME_TOO_LONG],
            replies=[closed(1002)],
            state=bye,
        ),
        case(
            "7.5.1",
            [close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited")],
            [fail(Rule.INVALID_CLOSE_REASON)],
            rules=[Rule.INVALID_CLOSE_REASON],
            replies=[closed(1007)],
            detail="close reason is not UTF-8 at byte 11",
            state=bye,
        ),
    ]
    for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011], 1):
        out.append(case(f"7.7.{i}", [close(code)], [], replies=[closed(code)], state=bye))
    for i, code in enumerate([3000, 3999, 4000, 4999], 10):
        out.append(case(f"7.7.{i}", [close(code)], [], replies=[closed(code)], state=bye))
    invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
    for i, code in enumerate(invalid, 1):
        out.append(
            case(
                f"7.9.{i}",
                [close(code)],
                [fail(Rule.INVALID_CLOSE_CODE)],
                rules=[Rule.INVALID_CLOSE_CODE],
                replies=[closed(1002)],
                detail=f"close code {code}",
                state=bye,
            )
        )
    for i, code in enumerate([5000, 65535], 1):
        out.append(
            case(
                f"7.13.{i}",
                [close(code)],
                [fail(Rule.INVALID_CLOSE_CODE)],
                rules=[Rule.INVALID_CLOSE_CODE],
                replies=[closed(1002)],
                state=bye,
            )
        )
    return out


# ---------------------------------------------------------------- 9.x limits
def limits() -> list[Case]:
    KiB, MiB = 1024, 2**20
    out = []
    for i, size in enumerate([64 * KiB, 256 * KiB, 1 * MiB, 4 * MiB], 1):
        text = "*" * size
        out.append(case(f"9.1.{i}", [f(TEXT, text)], [msg(TEXT, text)], chop=256 * KiB))
        out.append(case(f"9.2.{i}", [f(BINARY, b"\xfe" * size)], [msg(BINARY, b"\xfe" * size)]))

    def fragmented(opcode: int, size: int, frag: int) -> list[bytes]:
        data = (b"*" if opcode == TEXT else b"\xfe") * size
        n = size // frag
        return [
            f(opcode if i == 0 else CONT, data[i * frag : (i + 1) * frag], fin=i == n - 1)
            for i in range(n)
        ]

    for i, (size, frag) in enumerate(
        [
            (1 * MiB, 64),
            (1 * MiB, 256),
            (1 * MiB, 4 * KiB),
            (4 * MiB, 64 * KiB),
            (4 * MiB, 1 * MiB),
        ],
        1,
    ):
        out.append(case(f"9.3.{i}", fragmented(TEXT, size, frag), [msg(TEXT, "*" * size)]))
        out.append(case(f"9.4.{i}", fragmented(BINARY, size, frag), [msg(BINARY, b"\xfe" * size)]))
    for i, chunk in enumerate([64, 4 * KiB, 64 * KiB], 1):
        out.append(case(f"9.5.{i}", [f(TEXT, "*" * MiB)], [msg(TEXT, "*" * MiB)], chop=chunk))
        out.append(
            case(f"9.6.{i}", [f(BINARY, b"\xfe" * MiB)], [msg(BINARY, b"\xfe" * MiB)], chop=chunk)
        )
    for i, size in enumerate([0, 16, 64, 256, 1024, 4096], 1):
        out.append(case(f"9.7.{i}", [f(TEXT, "*" * size)] * 1000, [msg(TEXT, "*" * size)] * 1000))
        out.append(
            case(
                f"9.8.{i}", [f(BINARY, b"\xfe" * size)] * 1000, [msg(BINARY, b"\xfe" * size)] * 1000
            )
        )
    return out


CASES = framing() + pings() + reserved_bits() + opcodes() + fragmentation() + utf8() + closing()
CASES += limits()


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def transcript(events: list[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, Message):
            out.append(("msg", event.opcode, event.data))
        elif isinstance(event, Failure):
            out.append(("fail", event.close_code, event.violation.rule))
    return out


def replies_of(proto: Protocol) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for frame in FrameParser(Role.CLIENT).feed(b"".join(proto.data_to_send())):
        assert frame.violations == () and frame.masked
        if frame.opcode == Opcode.PONG:
            out.append(("pong", frame.payload))
        elif frame.opcode == Opcode.CLOSE:
            out.append(("close", frame.close_code))
        else:
            out.append(("unexpected", frame.opcode, frame.payload))
    return out


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_autobahn_case(c: Case) -> None:
    proto = Protocol(Role.CLIENT, strict=True)
    events: list[Any] = []
    frames: list[Frame] = []
    for chunk in chops(c):
        proto.receive_data(chunk)
        for event in proto.events_received():
            events.append(event)
            if isinstance(event, FrameBatch):
                frames.extend(event)
    assert len(frames) == len(c.frames)
    assert transcript(events) == list(c.events)
    violations = [v for fr in frames for v in fr.violations]
    assert [v.rule for v in violations] == list(c.rules)
    if c.detail:
        assert c.detail in violations[0].message
    if c.bad_seq is not None:
        assert next(fr for fr in frames if fr.violations).seq == c.bad_seq
    if c.id.split("/")[0] in INVALID_REASONS:
        assert violations[0].message.endswith(INVALID_REASONS[c.id.split("/")[0]])
    assert replies_of(proto) == list(c.replies)
    assert proto.state is c.state
    failures = [e for e in events if isinstance(e, Failure)]
    assert (proto.failure is None) is (not failures)
    # Messages also carry their text where they decode.
    for event in events:
        if isinstance(event, Message) and event.opcode == TEXT:
            valid = Rule.INVALID_UTF8 not in c.rules
            assert (event.text is not None) is valid
            if valid:
                assert event.text == event.data.decode()


def test_fail_fast_on_the_frame_that_breaks_utf8() -> None:
    """6.4.x: the violation is reported on the frame that makes the text invalid, not at
    the end of the message; later fragments are not flagged again."""
    frames = [
        f(TEXT, KOSME, fin=False),
        f(CONT, b"\xf4\x90\x80\x80", fin=False),
        f(CONT, "edited"),
    ]
    for chop_frames in (
        frames,
        [f(TEXT, KOSME + b"\xf4", fin=False), f(CONT, b"\x90\x80\x80edited")],
    ):
        proto = Protocol(Role.CLIENT, strict=True)
        received: list[list[Any]] = []
        for chunk in chop_frames:
            proto.receive_data(chunk)
            received.append(proto.events_received())
        batch = received[1][0]
        failure = next(e for e in received[1] if isinstance(e, Failure))
        assert isinstance(batch, FrameBatch)
        assert [v.rule for v in batch[0].violations] == [Rule.INVALID_UTF8]
        assert failure.close_code == 1007
        assert all(
            fr.violations == () for e in received[2:] for fr in e if isinstance(e, FrameBatch)
        )
