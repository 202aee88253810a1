"""The WebSocket opening handshake (RFC 6455 section 4), sans I/O.

https://www.rfc-editor.org/rfc/rfc6455#section-4

* :mod:`.accept`: the ``Sec-WebSocket-Accept`` maths, step by step
  (:func:`derive_accept`), and the :class:`AcceptCheck` a client makes;
* :mod:`.client`: :func:`build_client_request` makes the upgrade request and
  :func:`validate_response` checks a server's answer (section 4.1);
* :mod:`.server`: the checks of a client's request (section 4.2.1) and the answers,
  :func:`build_server_response` and :func:`build_error_response` (sections 4.2.2, 4.4);
* :mod:`.h11_bridge`: :class:`ResponseParser` and :class:`RequestParser`, which read
  a message with h11 and keep every byte;
* :mod:`.fields`: the header helpers both sides share.

A peer's mistake never raises: each check that fails adds a
:class:`~inspector.protocol.violations.Violation` with its rule and RFC section to
``problems`` (``offset`` is where in the raw header block, when it is one place).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

# The names load on first use (PEP 562): the capture layer needs only :mod:`.accept`,
# and the rest (h11 and the request and response checks) loads with the engine, not
# with every start of the window.
if TYPE_CHECKING:
    from .accept import (
        AcceptCheck,
        AcceptDerivation,
        check_accept,
        compute_accept,
        derive_accept,
        generate_key,
    )
    from .client import ClientRequest, HandshakeResponse, build_client_request, validate_response
    from .fields import HeaderList, HeaderOverrides, split_head
    from .h11_bridge import (
        DEFAULT_MAX_HEADER_SIZE,
        FailureKind,
        ParseFailure,
        RequestParser,
        RequestResult,
        ResponseParser,
        ResponseResult,
        parse_request,
        parse_response,
    )
    from .server import HandshakeRequest, build_error_response, build_server_response

__all__ = [
    "DEFAULT_MAX_HEADER_SIZE",
    "AcceptCheck",
    "AcceptDerivation",
    "ClientRequest",
    "FailureKind",
    "HandshakeRequest",
    "HandshakeResponse",
    "HeaderList",
    "HeaderOverrides",
    "ParseFailure",
    "RequestParser",
    "RequestResult",
    "ResponseParser",
    "ResponseResult",
    "build_client_request",
    "build_error_response",
    "build_server_response",
    "check_accept",
    "compute_accept",
    "derive_accept",
    "generate_key",
    "parse_request",
    "parse_response",
    "split_head",
    "validate_response",
]

_MODULE_OF = {
    "AcceptCheck": ".accept",
    "AcceptDerivation": ".accept",
    "ClientRequest": ".client",
    "DEFAULT_MAX_HEADER_SIZE": ".h11_bridge",
    "FailureKind": ".h11_bridge",
    "HandshakeRequest": ".server",
    "HandshakeResponse": ".client",
    "HeaderList": ".fields",
    "HeaderOverrides": ".fields",
    "ParseFailure": ".h11_bridge",
    "RequestParser": ".h11_bridge",
    "RequestResult": ".h11_bridge",
    "ResponseParser": ".h11_bridge",
    "ResponseResult": ".h11_bridge",
    "build_client_request": ".client",
    "build_error_response": ".server",
    "build_server_response": ".server",
    "check_accept": ".accept",
    "compute_accept": ".accept",
    "derive_accept": ".accept",
    "generate_key": ".accept",
    "parse_request": ".h11_bridge",
    "parse_response": ".h11_bridge",
    "split_head": ".fields",
    "validate_response": ".client",
}

__getattr__ = lazy_exports(__name__, _MODULE_OF)
