"""Peers for the in-process tests of ``replay`` and the expectations: websockets
servers in a thread (``main(argv)`` runs its own event loop)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from websockets.sync.server import ServerConnection, serve

Handler = Callable[[ServerConnection], None]


def echo(ws: ServerConnection) -> None:
    with contextlib.suppress(Exception):
        for message in ws:
            ws.send(message)


def shout(ws: ServerConnection) -> None:
    """Answers text in capitals."""
    with contextlib.suppress(Exception):
        for message in ws:
            ws.send(message.upper() if isinstance(message, str) else message)


def greet_then_echo(ws: ServerConnection) -> None:
    """Says ``welcome`` first; ``quit`` closes with 4001 ``bye``; the rest is echoed."""
    with contextlib.suppress(Exception):
        ws.send("welcome")
        for message in ws:
            if message == "quit":
                ws.close(4001, "bye")
                return
            ws.send(message)


@contextlib.contextmanager
def websockets_server(handler: Handler = echo) -> Iterator[str]:
    server = serve(handler, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
    finally:
        server.shutdown()
        thread.join(5)


def login_server(ws: ServerConnection) -> None:
    """Asks for a login; answers one with the token ``secret`` with a welcome."""
    import json

    with contextlib.suppress(Exception):
        ws.send(json.dumps({"type": "login-required"}))
        for message in ws:
            obj = json.loads(message)
            if obj.get("type") == "login" and obj.get("token") == "secret":
                ws.send(json.dumps({"type": "welcome", "user": obj.get("user")}))
