"""Answers a server's login request: the client side of a login exchange.

When the server sends ``{"type": "login-required"}``, this script answers
``{"type": "login", "user": ..., "token": ...}`` with the user and token from the
environment variables WS_USER and WS_TOKEN (``demo`` and ``secret`` by default), and
logs the server's welcome. Try it against the server side of the same exchange
(``login_server.py``)::

    ws-inspector serve --script resources/scripts/login_server.py
    ws-inspector capture ws://127.0.0.1:PORT/ --script resources/scripts/login.py \\
        --expect '"welcome"' --within 2
"""

import json
import os

USER = os.environ.get("WS_USER", "demo")
TOKEN = os.environ.get("WS_TOKEN", "secret")


def _json(message):
    """The message's JSON object, or None (binary, not JSON, not an object)."""
    if message.text is None:
        return None
    try:
        obj = json.loads(message.text)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


def on_message(conn, message):
    obj = _json(message)
    if obj is None:
        return
    if obj.get("type") == "login-required":
        conn.send_text(json.dumps({"type": "login", "user": USER, "token": TOKEN}))
        conn.log("answered the login request as", USER)
    elif obj.get("type") == "welcome":
        conn.log("logged in:", obj.get("user"))
