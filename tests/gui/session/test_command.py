"""The copy-out menu's command: from a live tab's options, or a loaded capture's request."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shiboken6

from inspector.capture.events import Direction, HandshakeCaptured
from inspector.cli.main import build_parser
from inspector.gui.session.command import connection_command
from inspector.gui.session.controller import ConnectOptions, SessionController

pytestmark = pytest.mark.gui


@pytest.fixture
def controller(qapp: Any) -> Iterator[SessionController]:
    c = SessionController()
    yield c
    c.detach()
    # Deleted now, in the GUI thread, not by a garbage collection in a worker thread.
    shiboken6.delete(c)


def test_a_live_tab_uses_its_options(controller: SessionController) -> None:
    controller.options = ConnectOptions(subprotocols=("chat",), strict=True)
    args = connection_command(controller, "ws://127.0.0.1:9/")
    assert args == [
        "ws-inspector",
        "capture",
        "ws://127.0.0.1:9/",
        "--subprotocol",
        "chat",
        "--strict",
    ]


def test_a_loaded_capture_uses_its_request(
    controller: SessionController, capture: Callable[..., Any]
) -> None:
    c = capture()
    request = (
        ("Host", "127.0.0.1:9"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("X-Token", "it's"),
        ("Sec-WebSocket-Protocol", "chat"),
    )
    c.store.add(
        HandshakeCaptured(0.0, Direction.OUT, b"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1", request)
    )
    controller.options = ConnectOptions(strict=True)  # not how the file connected: ignored
    controller.show_store(c.store, "x.jsonl")
    assert controller.read_only
    args = connection_command(controller, c.store.session.url)
    assert args[3:] == ["-H", "X-Token: it's", "--subprotocol", "chat", "--no-deflate"]
    ns = build_parser().parse_args(shlex.split(shlex.join(args))[1:])
    assert ns.header == ["X-Token: it's"] and ns.subprotocol == ["chat"] and ns.no_deflate
