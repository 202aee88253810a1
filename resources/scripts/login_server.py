"""The server side of a login exchange, for ``ws-inspector serve --script``.

On each new connection the server asks ``{"type": "login-required"}``; a
``{"type": "login"}`` with the token in WS_TOKEN (``secret`` by default) is answered
``{"type": "welcome", "user": ...}``, a wrong token closes the connection with 4003.
The echo server still echoes every message besides.
"""

import json
import os

TOKEN = os.environ.get("WS_TOKEN", "secret")


def on_open(conn):
    conn.send_text(json.dumps({"type": "login-required"}))


def on_message(conn, message):
    if message.text is None:
        return
    try:
        obj = json.loads(message.text)
    except ValueError:
        return
    if not isinstance(obj, dict) or obj.get("type") != "login":
        return
    if obj.get("token") == TOKEN:
        conn.data["user"] = obj.get("user")
        conn.send_text(json.dumps({"type": "welcome", "user": obj.get("user")}))
    else:
        conn.log("refused a login with a wrong token")
        conn.close(4003, "wrong token")


def on_close(conn, code, reason):
    conn.log("closed", code, "user", conn.data.get("user"))
