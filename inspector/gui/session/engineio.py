"""Engine.IO's own keepalive, answered for the user: a Socket.IO server pings its
client (``2``) every ``pingInterval`` and drops it when no pong (``3``) comes within
``pingTimeout``. A person watching a Socket.IO session should not have to type "3"
every 25 seconds, so the session answers, like the engine answers WebSocket pings.

Only on a connection whose server's first message is an Engine.IO OPEN packet: a
"2" from any other server is left alone.
"""

from __future__ import annotations

import logging

from ...capture.events import ConnectionState
from ...engine.connection import Connection
from ...protocol.events import Message
from ...protocol.violations import LocalProtocolError

__all__ = ["EngineIOPongs"]

log = logging.getLogger(__name__)

_PING = b"2"
_PONG = "3"


class EngineIOPongs:
    """The connection's ``on_message`` callback: called with every message received,
    so it decides on the first whether there is anything to do at all."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        #: None until the server's first message says whether it speaks Engine.IO.
        self.engineio: bool | None = None
        self.answered = 0

    def __call__(self, message: Message) -> None:
        if self.engineio is None:
            # The Socket.IO view loads with the first message, not with the window.
            from ...views.formats.socketio import opens_session

            self.engineio = message.opcode == 1 and opens_session(message.data)
            if not self.engineio and self.conn.on_message is self:
                self.conn.on_message = None  # not Engine.IO: cost nothing from now on
            return
        # Not only when the decision is made: the engine may hand over the rest of a
        # read after the callback was taken away.
        if not self.engineio or message.opcode != 1 or message.data != _PING:
            return
        conn = self.conn
        if conn.state is not ConnectionState.OPEN or conn.close_sent:
            return
        try:
            conn.send_text(_PONG)
        except (LocalProtocolError, OSError) as exc:
            # Called from inside the engine's receive: never raise into it.
            log.info("could not answer an Engine.IO ping: %s", exc)
            return
        self.answered += 1
