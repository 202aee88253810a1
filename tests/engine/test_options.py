"""Tests of what a user sets on a connection (inspector.engine.options)."""

from __future__ import annotations

import pytest

from inspector.capture.events import ErrorStep
from inspector.capture.store import DEFAULT_MAX_CAPTURE_BYTES
from inspector.engine.options import ConnectError, ConnectOptions, parse_url
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
