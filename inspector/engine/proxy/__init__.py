"""The proxy in the middle: the user's own client and server, frame by frame.

* :mod:`.server`: :class:`ProxyServer` (reverse and forward modes) and its options;
* :mod:`.session`: :class:`ProxiedConnection`, one connection's capture of both sides;
* :mod:`.legs`: the two connections of a pair and the relay between them;
* :mod:`.ca`: the local certificate authority for intercepting ``wss://``.
"""

from __future__ import annotations

from .ca import LocalCA, default_ca_dir
from .server import ProxyOptions, ProxyServer
from .session import ProxiedConnection

__all__ = ["LocalCA", "ProxiedConnection", "ProxyOptions", "ProxyServer", "default_ca_dir"]
