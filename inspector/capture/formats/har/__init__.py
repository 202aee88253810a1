"""HAR 1.2 export and import of WebSocket sessions, the way Chrome DevTools writes them.

A HAR file records HTTP exchanges; Chrome DevTools (since version 76) adds, to the
entry of a WebSocket's opening handshake, ``"_resourceType": "websocket"`` and
``"_webSocketMessages"``: one ``{"type", "time", "opcode", "data"}`` object per
*message* (reassembled, after inflation), never per frame; control frames are not
listed. ``type`` is ``"send"`` (sent by the browser, the client) or ``"receive"``
(``"error"`` for a frame error, with opcode -1); ``time`` is seconds since the Unix
epoch (a float); ``opcode`` is 1 (``data`` is the text) or 2 (``data`` is base64).
Chrome writes ``request.url`` as the ``ws://``/``wss://`` URL. Its importer requires
numbers for ``time``, ``request.headersSize``/``bodySize``,
``response.status``/``headersSize``/``bodySize``, ``response.content.size`` and
``timings.send``/``wait``/``receive``, and a valid ``startedDateTime``; the export
below always writes them.

Export (:func:`to_har`, :func:`write_har`) writes one entry per session. Header values
that are credentials (``Cookie``, ``Set-Cookie``, ``Authorization``,
``Proxy-Authorization``) are replaced by :data:`WITHHELD` unless
``include_secrets=True``, and the entry's ``comment`` says so.

Import (:func:`read_har`) turns every WebSocket entry of a HAR file (Chrome's, and
other tools' that follow it) into a read-only session with ``source="har"``: one
synthesized frame per message (FIN set, unmasked, minimal length), because a HAR file
has no frames. :data:`HAR_NOTE`, in the session's notes, says so, and
:func:`is_message_level` is the flag for a viewer. Firefox's HAR export (as far as
its source shows) lists WebSocket handshakes without messages: those import as
sessions with a handshake and no frames.
"""

from .read import (
    DEFAULT_MAX_HAR_BYTES,
    HAR_NOTE,
    HarFormatError,
    HarSession,
    is_message_level,
    read_har,
)
from .schema import SECRET_HEADERS, WITHHELD
from .write import to_har, write_har

__all__ = [
    "DEFAULT_MAX_HAR_BYTES",
    "HAR_NOTE",
    "SECRET_HEADERS",
    "WITHHELD",
    "HarFormatError",
    "HarSession",
    "is_message_level",
    "read_har",
    "to_har",
    "write_har",
]
