"""The server side of the opening handshake: the checks a client's request must pass
(RFC 6455 section 4.2.1) and the answers, accepting (section 4.2.2) or refusing it.

https://www.rfc-editor.org/rfc/rfc6455#section-4.2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus

from ..headers import ExtensionOffer, format_extensions
from ..violations import Rule, Violation
from .accept import compute_accept, key_problem
from .fields import (
    HeaderList,
    HeaderLookup,
    HeaderOverrides,
    check_value,
    connection_problem,
    header_offset,
    merge_headers,
    parse_extension_values,
    parse_subprotocols,
    serialize,
    upgrade_problem,
    values,
    version_tuple,
)

__all__ = [
    "HandshakeRequest",
    "build_error_response",
    "build_server_response",
    "review_request",
]


@dataclass(frozen=True, slots=True)
class HandshakeRequest(HeaderLookup):
    """A client's opening handshake as a server received it (RFC 6455 section 4.2.1).

    ``raw`` is the header block exactly as received, up to and including the blank
    line; ``trailing`` holds the bytes that came after it in the same reads.
    ``key``, ``version`` and ``origin`` are the first value of their header, or
    ``None``; ``subprotocols`` and ``extensions`` gather every instance of their
    header (section 11.3.2 and 11.3.4 allow several in a request).
    """

    raw: bytes
    method: str
    target: str
    http_version: str
    headers: HeaderList
    trailing: bytes
    key: str | None
    version: str | None
    origin: str | None
    subprotocols: tuple[str, ...]
    extensions: tuple[ExtensionOffer, ...]
    problems: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def review_request(
    raw: bytes, trailing: bytes, method: str, target: str, http_version: str, headers: HeaderList
) -> HandshakeRequest:
    """The request, with what section 4.2.1 says a server checks before it may answer
    101 recorded in ``problems``."""
    problems: list[Violation] = []
    if method != "GET":
        problems.append(
            Violation(
                Rule.REQUEST_NOT_GET,
                f"method is {method!r}, the opening handshake must be a GET",
                0,
            )
        )
    if version_tuple(http_version) < (1, 1):
        problems.append(
            Violation(
                Rule.REQUEST_HTTP_VERSION,
                f"HTTP/{http_version} request, the opening handshake needs HTTP/1.1 or higher",
                0,
            )
        )
    if not values(headers, "host"):
        problems.append(Violation(Rule.REQUEST_NO_HOST, "no Host header"))
    for problem in (
        upgrade_problem(raw, headers, Rule.REQUEST_UPGRADE),
        connection_problem(raw, headers, Rule.REQUEST_CONNECTION),
    ):
        if problem:
            problems.append(problem)

    keys = values(headers, "sec-websocket-key")
    key = keys[0] if keys else None
    problems.extend(_key_problems(raw, keys))
    versions = values(headers, "sec-websocket-version")
    version = versions[0] if versions else None
    problems.extend(_version_problems(raw, versions))

    origins = values(headers, "origin")
    subprotocols, errors = parse_subprotocols(raw, headers)
    problems.extend(errors)
    extensions, extension_errors = parse_extension_values(raw, headers)
    problems.extend(extension_errors)
    return HandshakeRequest(
        raw=raw,
        method=method,
        target=target,
        http_version=http_version,
        headers=headers,
        trailing=trailing,
        key=key,
        version=version,
        origin=origins[0] if origins else None,
        subprotocols=subprotocols,
        extensions=extensions,
        problems=tuple(problems),
    )


def _key_problems(raw: bytes, keys: Sequence[str]) -> list[Violation]:
    if not keys:
        return [Violation(Rule.REQUEST_KEY, "no Sec-WebSocket-Key header")]
    problems: list[Violation] = []
    if len(keys) > 1:
        problems.append(
            Violation(
                Rule.KEY_REPEATED,
                f"Sec-WebSocket-Key appears {len(keys)} times, it must appear once",
                header_offset(raw, "sec-websocket-key", 1),
            )
        )
    problem = key_problem(keys[0])
    if problem:
        problems.append(
            Violation(
                Rule.REQUEST_KEY,
                f"Sec-WebSocket-Key {keys[0]!r} {problem}",
                header_offset(raw, "sec-websocket-key"),
            )
        )
    return problems


def _version_problems(raw: bytes, versions: Sequence[str]) -> list[Violation]:
    if not versions:
        return [Violation(Rule.REQUEST_VERSION, "no Sec-WebSocket-Version header, expected 13")]
    problems: list[Violation] = []
    if len(versions) > 1:
        problems.append(
            Violation(
                Rule.VERSION_REPEATED,
                f"Sec-WebSocket-Version appears {len(versions)} times, "
                "it must appear once in a request",
                header_offset(raw, "sec-websocket-version", 1),
            )
        )
    if versions[0] != "13":
        problems.append(
            Violation(
                Rule.REQUEST_VERSION,
                f"Sec-WebSocket-Version is {versions[0]!r}, expected 13; a server answers "
                "426 Upgrade Required with 'Sec-WebSocket-Version: 13' (RFC 6455 §4.4)",
                header_offset(raw, "sec-websocket-version"),
            )
        )
    return problems


def build_server_response(
    request: HandshakeRequest,
    *,
    subprotocol: str | None = None,
    extensions: Sequence[ExtensionOffer] | str | None = None,
    extra_headers: HeaderOverrides = (),
) -> bytes:
    """The 101 Switching Protocols that accepts ``request`` (RFC 6455 section 4.2.2).

    Headers: ``Upgrade: websocket``, ``Connection: Upgrade``, ``Sec-WebSocket-Accept``,
    then ``Sec-WebSocket-Protocol`` and ``Sec-WebSocket-Extensions`` when given, then
    ``extra_headers``, which replace generated headers in place (or remove them with
    ``None``) as in :func:`~inspector.protocol.handshake.build_client_request`. Nothing
    is checked against the request, so that a test server can misbehave on purpose
    (choose an unoffered subprotocol, send a wrong accept). Raises ``ValueError`` if
    the request had no key and ``extra_headers`` does not supply
    ``Sec-WebSocket-Accept``.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2
    """
    overridden = {name.lower() for name, _ in extra_headers}
    if request.key is None and "sec-websocket-accept" not in overridden:
        raise ValueError(
            "the request has no Sec-WebSocket-Key to answer; send build_error_response(400) "
            "or supply Sec-WebSocket-Accept in extra_headers"
        )
    headers: list[tuple[str, str]] = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", compute_accept(request.key or "")),
    ]
    if subprotocol is not None:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions is not None:
        value = extensions if isinstance(extensions, str) else format_extensions(extensions)
        if value:
            headers.append(("Sec-WebSocket-Extensions", value))
    for name, value in headers:
        check_value(f"header {name}", value)
    return serialize("HTTP/1.1 101 Switching Protocols", merge_headers(headers, extra_headers))


def build_error_response(
    status: int,
    reason: str | None = None,
    body: str = "",
    headers: HeaderOverrides = (),
    *,
    version_header: bool | None = None,
) -> bytes:
    """A refusal of the opening handshake, closing the connection (RFC 6455 section 4.2.2).

    ``reason`` defaults to the standard phrase for ``status``; ``body`` is sent as
    UTF-8 plain text with its ``Content-Length``. ``Sec-WebSocket-Version: 13`` is
    added when ``version_header`` is true, and by default for 426 Upgrade Required
    (section 4.4). ``headers`` are applied like ``extra_headers`` of
    :func:`~inspector.protocol.handshake.build_client_request`: a header of the same
    name replaces the generated one in place (e.g. ``("Sec-WebSocket-Version", "13,
    8, 7")``).
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2 and section 4.4
    """
    if not 200 <= status <= 999:
        raise ValueError(
            f"status {status} is not a final status (200-999); "
            "a 101 comes from build_server_response"
        )
    if reason is None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    check_value("reason", reason)
    payload = body.encode("utf-8")
    generated: list[tuple[str, str]] = []
    if payload:
        generated.append(("Content-Type", "text/plain; charset=utf-8"))
    generated.append(("Content-Length", str(len(payload))))
    # Once the handshake is refused nothing else is expected on this connection.
    generated.append(("Connection", "close"))
    if version_header or (version_header is None and status == 426):
        generated.append(("Sec-WebSocket-Version", "13"))
    return serialize(f"HTTP/1.1 {status} {reason}", merge_headers(generated, headers)) + payload
