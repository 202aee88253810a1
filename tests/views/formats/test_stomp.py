"""Tests of inspector.views.formats.stomp: frames encoded by stomp.py, bare and
inside SockJS frames."""

from __future__ import annotations

import json

import pytest
import stomp.utils

from inspector.views.base import PayloadMeta, Syntax
from inspector.views.registry import default_registry

REG = default_registry()
TEXT = PayloadMeta(opcode=1)


def frame(command: str, headers: dict[str, str], body: str = "") -> bytes:
    return b"".join(stomp.utils.convert_frame(stomp.utils.Frame(command, headers, body)))


SEND = frame("SEND", {"destination": "/queue/a", "content-type": "application/json"}, '{"n": [1]}')


def test_send_is_summarised_rendered_and_searchable() -> None:
    assert REG.best(SEND, TEXT).name == "stomp"
    assert REG.summary(SEND, TEXT) == "STOMP SEND /queue/a 10 B"
    assert REG.fields(SEND, TEXT) == {"command": "SEND", "destination": "/queue/a"}
    r = REG.render(SEND, TEXT)
    assert r.error is None and r.syntax is Syntax.KEY_VALUE
    assert r.text.splitlines() == [
        "SEND",
        "content-type: application/json",
        "destination: /queue/a",
        "",
        "{",
        '  "n": [',
        "    1",
        "  ]",
        "}",
    ]
    assert r.tree is not None and r.tree.children[1].kind == "json"  # the body, as JSON


def test_other_commands() -> None:
    cases = {
        frame("CONNECT", {"accept-version": "1.2", "host": "h", "heart-beat": "10000,10000"}): (
            "STOMP CONNECT host=h heart-beat=10000,10000"
        ),
        frame("CONNECTED", {"version": "1.2", "heart-beat": "0,0"}): (
            "STOMP CONNECTED version=1.2 heart-beat=0,0"
        ),
        frame("SUBSCRIBE", {"id": "sub-0", "destination": "/topic/t"}): (
            "STOMP SUBSCRIBE /topic/t id=sub-0"
        ),
        frame(
            "MESSAGE", {"destination": "/topic/t", "subscription": "sub-0", "message-id": "7"}, "hi"
        ): ("STOMP MESSAGE /topic/t sub=sub-0 msg=7 2 B"),
        frame("ERROR", {"message": "no such queue"}): 'STOMP ERROR "no such queue"',
        b"\n": "STOMP heart-beat",
        b"\r\n": "STOMP heart-beat",
    }
    for data, line in cases.items():
        assert REG.summary(data, TEXT) == line, data


def test_header_escapes_and_repeated_headers() -> None:
    data = b"MESSAGE\ndestination:/a\\cb\\\\c\ndestination:/ignored\n\nx\x00"
    assert REG.fields(data, TEXT)["destination"] == "/a:b\\c"
    r = REG.render(b"SEND\ndestination:/a\\tb\n\n\x00", TEXT, "stomp")
    assert r.error == "not valid STOMP at byte 5: the header escape '\\\\t' is undefined"


def test_content_length_body_may_hold_nul() -> None:
    data = b"SEND\ndestination:/q\ncontent-length:3\n\na\x00b\x00\n"
    r = REG.render(data, TEXT)
    assert r.view == "stomp" and r.error is None
    assert REG.summary(data, TEXT) == "STOMP SEND /q 3 B"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"SEND\ndestination\n\n\x00", "byte 5: a header line without ':'"),
        (b"SEND\nd:1\n\nabc", "byte 13: the frame does not end with NUL"),
        (b"SEND\nd:1", "byte 8: the data ends inside the headers"),
        (
            b"SEND\ncontent-length:9\n\nab\x00",
            "byte 26: the body is shorter than its content-length 9",
        ),
        (b"FETCH\n\n\x00", "byte 0: b'FETCH' is not a STOMP command"),
    ],
)
def test_malformed_frames_say_where(data: bytes, error: str) -> None:
    assert REG.render(data, TEXT, "stomp").error == f"not valid STOMP at {error}"


def test_a_cut_prefix_still_names_the_destination() -> None:
    big = frame("SEND", {"destination": "/queue/big"}, "x" * 10_000)
    meta = PayloadMeta(opcode=1, size=len(big))
    assert REG.summary(big[:4096], meta) == "STOMP SEND /queue/big 9.8 KiB"


def test_inside_sockjs() -> None:
    server = b"a" + json.dumps([SEND.decode()]).encode()
    client = json.dumps([frame("SUBSCRIBE", {"id": "0", "destination": "/t"}).decode()]).encode()
    cases = {
        b"o": "SockJS open",
        b"h": "SockJS heartbeat",
        b'c[3000,"Go away!"]': 'SockJS close 3000 "Go away!"',
        server: "SockJS 1 message: STOMP SEND /queue/a 10 B",
        client: "SockJS 1 message: STOMP SUBSCRIBE /t id=0",
    }
    for data, line in cases.items():
        assert REG.best(data, TEXT).name == "stomp", data
        assert REG.summary(data, TEXT) == line
    assert REG.fields(server, TEXT) == {"command": "SEND", "destination": "/queue/a"}
    r = REG.render(server, TEXT)
    assert r.text.startswith("SockJS 1 message\n\nSEND\n")
    # SockJS carrying something else: shown, not an error.
    other = REG.render(b'a["hello"]', TEXT)
    assert other.view == "stomp" and other.error is None and "hello" in other.text


def test_negotiated_subprotocol_wins_and_plain_text_is_not_stomp() -> None:
    meta = PayloadMeta(opcode=1, subprotocol="v12.stomp")
    assert REG.best(b"\n", meta).name == "stomp"
    for data in (b"hello", b"SEND me a postcard", b'["a", "b"]'):
        assert REG.best(data, TEXT).name != "stomp", data
