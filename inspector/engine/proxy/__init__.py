"""The proxy in the middle: the user's own client and server, frame by frame.

* :mod:`.server`: :class:`ProxyServer` (reverse and forward modes) and its options;
* :mod:`.session`: :class:`ProxiedConnection`, one connection's capture of both sides;
* :mod:`.legs`: the two connections of a pair, read as streams during the handshake;
* :mod:`.relay`: the bytes between them after the 101, and the close frames of faults;
* :mod:`.ca`: the local certificate authority for intercepting ``wss://``;
* :mod:`.intercept`: breakpoints, rules and hooks on the traffic (:class:`Controls`);
* :mod:`.rules`: the rules and their command-line forms.
"""

from __future__ import annotations

from .ca import LocalCA, default_ca_dir
from .controls import BreakFilter, Controls, HeldItem, QueueFull
from .rules import Rules
from .server import ProxyOptions, ProxyServer
from .session import ProxiedConnection

__all__ = [
    "BreakFilter",
    "Controls",
    "HeldItem",
    "LocalCA",
    "ProxiedConnection",
    "ProxyOptions",
    "ProxyServer",
    "QueueFull",
    "Rules",
    "default_ca_dir",
]
