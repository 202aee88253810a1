"""The proxy in the middle: the user's own client and server, frame by frame.

* :mod:`.server`: :class:`ProxyServer` (reverse and forward modes) and its options;
* :mod:`.session`: :class:`ProxiedConnection`, one connection's capture of both sides;
* :mod:`.legs`: the two connections of a pair, read as streams during the handshake;
* :mod:`.relay`: the bytes between them after the 101, and the close frames of faults;
* :mod:`.ca`: the local certificate authority for intercepting ``wss://``.
"""

from __future__ import annotations

from .ca import LocalCA, default_ca_dir
from .server import ProxyOptions, ProxyServer
from .session import ProxiedConnection

__all__ = ["LocalCA", "ProxiedConnection", "ProxyOptions", "ProxyServer", "default_ca_dir"]
