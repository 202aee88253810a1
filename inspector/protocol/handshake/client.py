"""The client side of the opening handshake: the request we send and the checks the
server's response must pass (RFC 6455 section 4.1).

https://www.rfc-editor.org/rfc/rfc6455#section-4.1
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from ..headers import (
    ExtensionOffer,
    HeaderParseError,
    format_extensions,
    is_token,
    parse_token_list,
)
from ..violations import Rule, Violation
from .accept import AcceptCheck, check_accept, generate_key
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
from .server import HandshakeRequest

__all__ = [
    "ClientRequest",
    "HandshakeResponse",
    "build_client_request",
    "review_response",
    "validate_response",
]


@dataclass(frozen=True, slots=True)
class ClientRequest(HeaderLookup):
    """An opening handshake request as we send it (RFC 6455 section 4.1).

    ``key``, ``subprotocols`` and ``extensions`` describe what is on the wire, after
    the caller's overrides: the accept check uses the key the server actually saw.
    A header the caller replaced with a value that does not parse offers nothing.
    """

    method: str
    target: str
    headers: HeaderList
    raw: bytes
    key: str
    subprotocols: tuple[str, ...]
    extensions: tuple[ExtensionOffer, ...]


def _host_header(host: str, port: int | None, secure: bool) -> str:
    if not host or any(ch.isspace() or ord(ch) < 0x20 or ch in "/@" for ch in host):
        raise ValueError(f"invalid host {host!r}")
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"invalid bracketed IPv6 host {host!r}")
        literal = host
    elif ":" in host:
        # A zone ID ("%eth0") names an interface of this machine: it means nothing
        # to the server, so it is not sent.
        address = host.split("%", 1)[0]
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            raise ValueError(
                f"host {host!r} contains ':' but is not an IPv6 address; pass the port separately"
            ) from None
        literal = f"[{address}]"
    elif host.isascii():
        literal = host
    else:
        literal = host.encode("idna").decode("ascii")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"port {port} is out of range 1-65535")
    default = 443 if secure else 80
    # RFC 6455 section 4.1 item 4: the port is omitted when it is the scheme's default.
    return literal if port is None or port == default else f"{literal}:{port}"


def build_client_request(
    host: str,
    port: int | None = None,
    resource: str = "/",
    *,
    secure: bool = False,
    key: str | None = None,
    origin: str | None = None,
    subprotocols: Sequence[str] = (),
    extensions: Sequence[ExtensionOffer] | str = (),
    extra_headers: HeaderOverrides = (),
) -> ClientRequest:
    """Build the client's opening handshake (RFC 6455 section 4.1).

    Headers come in this order: ``Host`` (without the port when it is the default of
    the scheme, 80 for ws and 443 for wss; IPv6 literals in brackets), ``Upgrade:
    websocket``, ``Connection: Upgrade``, ``Sec-WebSocket-Key`` (``key`` or a fresh
    one), ``Sec-WebSocket-Version: 13``, then ``Origin``, ``Sec-WebSocket-Protocol``
    and ``Sec-WebSocket-Extensions`` when given, then ``extra_headers`` in order.

    An extra header named like a generated one (case-insensitively) *replaces it in
    place*, spelled as given, so that a server can be tested with a wrong
    ``Sec-WebSocket-Version``, a bad key or a lowercase name; a value of ``None``
    removes the generated header instead. A second extra header of the same name is
    appended, which is how to send a duplicate. Nothing is checked for RFC
    conformance here; only values that would break the message's framing (CR, LF,
    NUL, non-token names, a target with spaces) raise ``ValueError``.

    ``extensions`` is a list of offers or a ready header value, sent verbatim.
    """
    host_value = _host_header(host, port, secure)
    if not resource or not all(0x21 <= ord(ch) <= 0x7E for ch in resource):
        raise ValueError(f"resource {resource!r} must be visible ASCII with no spaces")
    if key is None:
        key = generate_key()
    headers: list[tuple[str, str]] = [
        ("Host", host_value),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    if origin is not None:
        headers.append(("Origin", origin))
    if isinstance(subprotocols, str):
        raise ValueError("subprotocols must be a sequence of names, not one string")
    for protocol in subprotocols:
        if not is_token(protocol):
            raise ValueError(
                f"subprotocol {protocol!r} is not a token (RFC 6455 §4.1); "
                "send it through extra_headers to test a server with it"
            )
    if subprotocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(subprotocols)))
    extension_value = extensions if isinstance(extensions, str) else format_extensions(extensions)
    if extension_value:
        headers.append(("Sec-WebSocket-Extensions", extension_value))
    for name, value in headers:
        check_value(f"header {name}", value)
    final = tuple(merge_headers(headers, extra_headers))
    raw = serialize(f"GET {resource} HTTP/1.1", final)

    keys = values(final, "sec-websocket-key")
    offered_protocols, protocol_errors = parse_subprotocols(raw, final)
    offered_extensions, extension_errors = parse_extension_values(raw, final)
    return ClientRequest(
        method="GET",
        target=resource,
        headers=final,
        raw=raw,
        key=keys[0] if keys else "",
        subprotocols=() if protocol_errors else offered_protocols,
        extensions=() if extension_errors else offered_extensions,
    )


@dataclass(frozen=True, slots=True)
class HandshakeResponse(HeaderLookup):
    """A server's answer to our opening handshake, checked against our request.

    ``raw`` is the header block exactly as received, up to and including the blank
    line; ``trailing`` holds the bytes that came after it in the same reads (the
    first WebSocket frames after a 101, or the body of an error response).
    ``subprotocol`` is the value of ``Sec-WebSocket-Protocol`` (``None`` if absent)
    and ``extensions`` the extensions the server accepted, whatever their validity:
    ``problems`` says what is wrong with them.
    """

    raw: bytes
    http_version: str
    status_code: int
    reason: str
    headers: HeaderList
    trailing: bytes
    accept_check: AcceptCheck
    subprotocol: str | None
    extensions: tuple[ExtensionOffer, ...]
    problems: tuple[Violation, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class ResponseReview:
    """What checking a response against its request found."""

    accept_check: AcceptCheck
    subprotocol: str | None
    extensions: tuple[ExtensionOffer, ...]
    problems: tuple[Violation, ...]


def review_response(
    request: ClientRequest | HandshakeRequest,
    raw: bytes,
    status_code: int,
    reason: str,
    http_version: str,
    headers: HeaderList,
) -> ResponseReview:
    """Check a response's status line and headers as a client must (section 4.1)."""
    # A request captured from someone else may have no key; the accept is then
    # checked against the empty key, which no correct server answers.
    accepts = values(headers, "sec-websocket-accept")
    accept_check = check_accept(request.key or "", accepts[0] if accepts else None)
    protocols = values(headers, "sec-websocket-protocol")
    subprotocol = protocols[0] if protocols else None
    extensions, extension_errors = parse_extension_values(raw, headers)

    if status_code != 101:
        status = f"{status_code} {reason}".strip()
        refusal = f"status {status}, expected 101 Switching Protocols"
        supported = values(headers, "sec-websocket-version")
        if supported:
            refusal += (
                f"; the server supports Sec-WebSocket-Version {', '.join(supported)} "
                "(RFC 6455 §4.4)"
            )
        # The other checks only apply to a 101: a refusal has no reason to carry
        # Upgrade or Sec-WebSocket-Accept, and listing them would bury the cause.
        problem = Violation(Rule.RESPONSE_STATUS, refusal, 0)
        return ResponseReview(accept_check, subprotocol, extensions, (problem,))

    problems: list[Violation] = []
    if version_tuple(http_version) < (1, 1):
        problems.append(
            Violation(
                Rule.RESPONSE_HTTP_VERSION,
                f"HTTP/{http_version} response: the upgrade needs HTTP/1.1 (RFC 7230 §6.7)",
                0,
            )
        )
    for found in (
        upgrade_problem(raw, headers, Rule.RESPONSE_UPGRADE),
        connection_problem(raw, headers, Rule.RESPONSE_CONNECTION),
    ):
        if found:
            problems.append(found)
    problems.extend(_accept_problems(raw, accepts, accept_check))
    problems.extend(_subprotocol_problems(request, raw, protocols))
    problems.extend(extension_errors)
    problems.extend(_extension_problems(request, raw, extensions))
    return ResponseReview(accept_check, subprotocol, extensions, tuple(problems))


def _accept_problems(raw: bytes, accepts: Sequence[str], check: AcceptCheck) -> list[Violation]:
    if check.received is None:
        return [
            Violation(
                Rule.ACCEPT_MISSING,
                "Sec-WebSocket-Accept missing: the server must answer "
                f"{check.expected!r} = base64(SHA-1(key + GUID))",
            )
        ]
    problems: list[Violation] = []
    if len(accepts) > 1:
        problems.append(
            Violation(
                Rule.ACCEPT_REPEATED,
                f"Sec-WebSocket-Accept appears {len(accepts)} times, it must appear once",
                header_offset(raw, "sec-websocket-accept", 1),
            )
        )
    if not check.ok:
        problems.append(
            Violation(
                Rule.ACCEPT_MISMATCH,
                f"Sec-WebSocket-Accept wrong: {check.received!r}, expected "
                f"{check.expected!r} = base64(SHA-1(key + GUID))",
                header_offset(raw, "sec-websocket-accept"),
            )
        )
    return problems


def _subprotocol_problems(
    request: ClientRequest | HandshakeRequest, raw: bytes, protocols: Sequence[str]
) -> list[Violation]:
    if not protocols:
        return []
    problems: list[Violation] = []
    at = header_offset(raw, "sec-websocket-protocol")
    if len(protocols) > 1:
        problems.append(
            Violation(
                Rule.SUBPROTOCOL_REPEATED,
                f"Sec-WebSocket-Protocol appears {len(protocols)} times, it must appear once "
                "in a response",
                header_offset(raw, "sec-websocket-protocol", 1),
            )
        )
    try:
        chosen = parse_token_list(protocols[0])
    except HeaderParseError as exc:
        problems.append(
            Violation(
                Rule.SUBPROTOCOL_NOT_ONE,
                f"Sec-WebSocket-Protocol {protocols[0]!r} is not a token: {exc}",
                at,
            )
        )
        return problems
    if len(chosen) != 1:
        problems.append(
            Violation(
                Rule.SUBPROTOCOL_NOT_ONE,
                f"Sec-WebSocket-Protocol is {protocols[0]!r}, the server must choose exactly "
                "one subprotocol",
                at,
            )
        )
    elif not request.subprotocols:
        problems.append(
            Violation(
                Rule.SUBPROTOCOL_NOT_OFFERED,
                f"server chose subprotocol {chosen[0]!r} but the client offered none",
                at,
            )
        )
    elif chosen[0] not in request.subprotocols:
        offered = ", ".join(repr(p) for p in request.subprotocols)
        problems.append(
            Violation(
                Rule.SUBPROTOCOL_NOT_OFFERED,
                f"server chose subprotocol {chosen[0]!r}, which the client did not offer "
                f"(offered: {offered})",
                at,
            )
        )
    return problems


def _extension_problems(
    request: ClientRequest | HandshakeRequest,
    raw: bytes,
    extensions: Sequence[ExtensionOffer],
) -> list[Violation]:
    problems: list[Violation] = []
    offered_names = [name for name, _ in request.extensions]
    at = header_offset(raw, "sec-websocket-extensions")
    for name, _ in extensions:
        if not offered_names:
            problems.append(
                Violation(
                    Rule.EXTENSION_NOT_OFFERED,
                    f"server accepted extension {name!r} but the client offered no extensions",
                    at,
                )
            )
        elif name not in offered_names:
            offered = ", ".join(repr(n) for n in offered_names)
            problems.append(
                Violation(
                    Rule.EXTENSION_NOT_OFFERED,
                    f"server accepted extension {name!r}, which the client did not offer "
                    f"(offered: {offered})",
                    at,
                )
            )
    return problems


def validate_response(
    request: ClientRequest | HandshakeRequest, response: HandshakeResponse
) -> list[Violation]:
    """Check ``response`` against ``request`` as a client must (RFC 6455 section 4.1).

    ``request`` may also be a request parsed by the request parser, to check a
    captured exchange between two other programs. Returns the problems, empty if the
    handshake succeeded.
    """
    review = review_response(
        request,
        response.raw,
        response.status_code,
        response.reason,
        response.http_version,
        response.headers,
    )
    return list(review.problems)
