"""Tests of what a user sets on a connection (inspector.engine.options)."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import replace

import pytest

from inspector.capture.events import ErrorStep
from inspector.capture.store import DEFAULT_MAX_CAPTURE_BYTES
from inspector.engine.options import (
    ConnectError,
    ConnectOptions,
    TlsOptions,
    capture_command,
    options_from_request,
    parse_listen_address,
    parse_url,
)
from inspector.protocol.constants import DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_MESSAGE_SIZE


def test_connect_error_step_is_an_error_step() -> None:
    error = ConnectError("tcp", "refused")
    assert error.step is ErrorStep.TCP and str(error.step) == "tcp"
    assert str(error) == "tcp: refused"
    assert (error.status, error.body) == (None, b"")
    refused = ConnectError(ErrorStep.HANDSHAKE, "403", status=403, body=b"no")
    assert (refused.step, refused.status, refused.body) == (ErrorStep.HANDSHAKE, 403, b"no")
    with pytest.raises(ConnectError) as info:
        parse_url("http://example.com/")
    assert info.value.step is ErrorStep.URL


def test_the_defaults_are_the_shared_limits() -> None:
    options = ConnectOptions()
    assert options.max_frame_size == DEFAULT_MAX_FRAME_SIZE
    assert options.max_message_size == DEFAULT_MAX_MESSAGE_SIZE
    assert options.max_capture_bytes == DEFAULT_MAX_CAPTURE_BYTES


@pytest.mark.parametrize(
    ("url", "secure", "host", "port", "resource", "explicit"),
    [
        ("ws://example.test", False, "example.test", 80, "/", False),
        ("wss://example.test/", True, "example.test", 443, "/", False),
        ("WS://Example.Test:8080/a/b?c=d", False, "example.test", 8080, "/a/b?c=d", True),
        ("wss://example.test:443/x", True, "example.test", 443, "/x", True),
        ("ws://[::1]/", False, "::1", 80, "/", False),
        ("ws://[::1]:9001/?q", False, "::1", 9001, "/?q", True),
        ("  ws://127.0.0.1:1/  ", False, "127.0.0.1", 1, "/", True),
        ("ws://example.test?only=query", False, "example.test", 80, "/?only=query", False),
    ],
)
def test_parse_url(
    url: str, secure: bool, host: str, port: int, resource: str, explicit: bool
) -> None:
    target = parse_url(url)
    assert (target.secure, target.host, target.port, target.resource, target.explicit_port) == (
        secure,
        host,
        port,
        resource,
        explicit,
    )
    if ":" in host:
        assert target.netloc == f"[{host}]:{port}"


# ------------------------------------------------- the same connection, again
def _parsed(args: list[str]) -> tuple[argparse.Namespace, ConnectOptions]:
    """``args`` read by the real command line, and the options it would connect with."""
    from inspector.cli.capture import connect_options
    from inspector.cli.main import build_parser

    assert args[0] == "ws-inspector"
    ns = build_parser().parse_args(args[1:])
    parsed = connect_options(ns)
    return ns, replace(
        parsed, headers=tuple(parsed.headers), subprotocols=tuple(parsed.subprotocols)
    )


def test_the_default_command_is_the_plain_capture() -> None:
    args = capture_command("ws://127.0.0.1:9/x")
    assert args == ["ws-inspector", "capture", "ws://127.0.0.1:9/x"]
    ns, parsed = _parsed(args)
    assert ns.command == "capture" and ns.url == "ws://127.0.0.1:9/x"
    assert parsed == ConnectOptions()


OPTIONS = [
    ConnectOptions(
        headers=(("Authorization", 'Bearer it\'s "quoted"'), ("X-Empty", ""), ("X-Two", "a b")),
        subprotocols=("chat", "v2.json"),
        deflate=False,
        origin="https://example.org",
        tls=TlsOptions(cafile="/tmp/my ca.pem", certfile="c.pem", keyfile="k.pem", insecure=True),
        open_timeout=2.5,
        strict=True,
        auto_pong=False,
        max_capture_bytes=3 * 2**20 + 512,
        proxy="socks5://127.0.0.1:1080",
    ),
    # Values that start with "-" must not be read as options.
    ConnectOptions(
        headers=(("-Odd", "-1"),), subprotocols=("-p",), origin="-o", tls=TlsOptions(cafile="-ca")
    ),
    ConnectOptions(origin="", max_capture_bytes=0, open_timeout=0.1, proxy=""),  # "": direct
]


@pytest.mark.parametrize("options", OPTIONS)
def test_the_command_is_accepted_by_the_cli_and_makes_the_same_connection(
    options: ConnectOptions,
) -> None:
    url = "wss://example.org:8443/socket?room=1"
    args = capture_command(url, options)
    assert shlex.split(shlex.join(args)) == args  # what the GUI copies, quoted
    ns, parsed = _parsed(args)
    assert ns.url == url
    assert parsed == options


def test_options_the_cli_cannot_set_are_left_out() -> None:
    options = ConnectOptions(max_frame_size=10, keepalive_interval=5.0, max_capture_bytes=None)
    assert capture_command("ws://h/", options) == ["ws-inspector", "capture", "ws://h/"]


def test_options_from_a_captured_request() -> None:
    headers = [
        ("Host", "example.org"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"),
        ("Origin", "https://example.org"),
        ("Sec-WebSocket-Protocol", "chat, v2"),
        ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
        ("Authorization", "Bearer x"),
        ("User-Agent", "browser"),
    ]
    options = options_from_request(headers)
    assert options == ConnectOptions(
        headers=(("Authorization", "Bearer x"),),
        subprotocols=("chat", "v2"),
        deflate=True,
        origin="https://example.org",
    )
    assert not options_from_request([("Host", "h")]).deflate  # not offered: not offered again


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        (" 0.0.0.0:0 ", ("0.0.0.0", 0)),
        ("[::1]:9000", ("::1", 9000)),
        ("8080", ("127.0.0.1", 8080)),
        (":9000", ("127.0.0.1", 9000)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_parse_listen_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen_address(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "give an address"),
        ("host", "has no port"),
        ("host:http", "must be a number"),
        ("host:70000", "must be a number"),
    ],
)
def test_parse_listen_address_refuses(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_listen_address(text)
