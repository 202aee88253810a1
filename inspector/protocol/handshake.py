"""The WebSocket opening handshake (RFC 6455 section 4), sans I/O.

https://www.rfc-editor.org/rfc/rfc6455#section-4

Both ends are here:

* the ``Sec-WebSocket-Accept`` maths, step by step (:func:`derive_accept`), so that the
  GUI can show how the key becomes the accept value (section 1.3 and 4.2.2);
* the client: :func:`build_client_request` makes the upgrade request, and
  :class:`ResponseParser` reads the server's answer and checks it (section 4.1);
* the server: :class:`RequestParser` reads a client's request and checks it
  (section 4.2.1); :func:`build_server_response` and :func:`build_error_response`
  make the answers (sections 4.2.2 and 4.4).

HTTP/1.1 itself is parsed by ``h11``; this module only keeps, next to what h11 parsed,
the exact bytes that came in: the header block (``raw``) and whatever followed it in
the same reads (``trailing``), which is already WebSocket frame data when the
handshake succeeded, since servers often send the first frame in the same segment as
the 101.

A peer's mistake never raises. Each check that fails adds a plain-English sentence
naming the RFC section to ``problems``; bytes that are not HTTP at all, a header block
over the size limit or a connection closed too early give a :class:`ParseFailure`
that keeps the bytes received and says why. Only the caller's own misuse raises
(``ValueError`` for bad arguments, :class:`LocalProtocolError` for feeding a finished
parser).

Header values are decoded as ISO-8859-1 (RFC 7230 section 3.2.4), which maps each byte
to one character, so nothing a peer sent is lost and ``value.encode("latin-1")`` gives
the bytes back.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Generic, TypeVar

import h11

from .constants import GUID
from .headers import (
    ExtensionOffer,
    HeaderParseError,
    format_extensions,
    parse_extensions,
    parse_token_list,
)
from .violations import LocalProtocolError

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

#: Largest header block a parser buffers before giving up (RFC 7230 section 3.2.5
#: lets a recipient refuse header sections larger than it wishes to process).
DEFAULT_MAX_HEADER_SIZE = 64 * 1024

#: Header fields in wire order, as ``(name, value)`` with the name's original case.
HeaderList = tuple[tuple[str, str], ...]
#: Caller-supplied headers; a value of ``None`` removes a generated header.
HeaderOverrides = Sequence[tuple[str, str | None]]

_S41 = "RFC 6455 §4.1"
_S421 = "RFC 6455 §4.2.1"

# RFC 7230 section 3.2.6: token characters.
_TCHARS = frozenset(
    b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


# --------------------------------------------------------------------------------------
# Sec-WebSocket-Key and Sec-WebSocket-Accept
# --------------------------------------------------------------------------------------


def generate_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: base64 of 16 random bytes (RFC 6455 section 4.1).

    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
    """
    return base64.b64encode(os.urandom(16)).decode("ascii")


@dataclass(frozen=True, slots=True)
class AcceptDerivation:
    """Every step from a ``Sec-WebSocket-Key`` to its ``Sec-WebSocket-Accept``.

    https://www.rfc-editor.org/rfc/rfc6455#section-1.3 and section 4.2.2 (step 5, item 4):
    ``accept = base64(SHA-1(key + GUID))``, where the key is taken as the client sent
    it (still base64, not decoded).
    """

    key: str
    guid: str
    concatenated: str
    sha1_digest: bytes
    sha1_hex: str
    accept: str


def derive_accept(key: str) -> AcceptDerivation:
    """Compute ``Sec-WebSocket-Accept`` for ``key`` and keep the intermediate values.

    The key is hashed as ISO-8859-1 bytes, which are the bytes on the wire for any key
    a parser here produced; a ``str`` with characters above U+00FF raises ``ValueError``.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2
    """
    concatenated = key + GUID
    # SHA-1 is what the RFC prescribes; it guards against a confused server, not an
    # attacker, so it must not be refused where FIPS mode bans SHA-1 for security use.
    digest = hashlib.sha1(concatenated.encode("latin-1"), usedforsecurity=False).digest()
    return AcceptDerivation(
        key=key,
        guid=GUID,
        concatenated=concatenated,
        sha1_digest=digest,
        sha1_hex=digest.hex(),
        accept=base64.b64encode(digest).decode("ascii"),
    )


def compute_accept(key: str) -> str:
    """``Sec-WebSocket-Accept`` for ``key`` (RFC 6455 section 4.2.2).

    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2
    """
    return derive_accept(key).accept


@dataclass(frozen=True, slots=True)
class AcceptCheck:
    """The ``Sec-WebSocket-Accept`` a client expected against the one it received.

    ``received`` is ``None`` when the response had no such header.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1 (client step 4)
    """

    derivation: AcceptDerivation
    received: str | None

    @property
    def expected(self) -> str:
        return self.derivation.accept

    @property
    def ok(self) -> bool:
        return self.received == self.derivation.accept


def check_accept(key: str, received: str | None) -> AcceptCheck:
    """Compare a received ``Sec-WebSocket-Accept`` with the one ``key`` calls for."""
    return AcceptCheck(derivation=derive_accept(key), received=received)


def _key_problem(key: str) -> str | None:
    # Section 4.2.1 item 5: the value, base64-decoded, is 16 bytes long.
    try:
        decoded = base64.b64decode(key.encode("latin-1"), validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    if len(decoded) != 16:
        return f"decodes to {len(decoded)} bytes, not 16"
    return None


# --------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------


def _values(headers: HeaderList, name: str) -> tuple[str, ...]:
    lname = name.lower()
    return tuple(value for hname, value in headers if hname.lower() == lname)


def _comma_items(values: Sequence[str]) -> list[str]:
    # Upgrade values are "protocol[/version]" and '/' is not a token character, so
    # parse_token_list would reject legal values; a plain comma split is all the
    # "does it contain X" checks need.
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _upgrade_problem(values: Sequence[str], section: str) -> str | None:
    if not values:
        return f"no Upgrade header, expected 'Upgrade: websocket' ({section})"
    if not any(item.lower() == "websocket" for item in _comma_items(values)):
        return f"Upgrade is {', '.join(values)!r}, expected 'websocket' ({section})"
    return None


def _connection_problem(values: Sequence[str], section: str) -> str | None:
    if not values:
        return f"no Connection header, expected 'Connection: Upgrade' ({section})"
    if not any(item.lower() == "upgrade" for item in _comma_items(values)):
        return (
            f"Connection is {', '.join(values)!r}, it must contain the token 'Upgrade' ({section})"
        )
    return None


def _parse_subprotocols(values: Sequence[str]) -> tuple[tuple[str, ...], list[str]]:
    protocols: list[str] = []
    errors: list[str] = []
    for value in values:
        try:
            protocols.extend(parse_token_list(value))
        except HeaderParseError as exc:
            errors.append(
                f"Sec-WebSocket-Protocol {value!r} is not a list of tokens: {exc} "
                "(RFC 6455 §4.1, §11.3.4)"
            )
    return tuple(protocols), errors


def _parse_extension_values(values: Sequence[str]) -> tuple[tuple[ExtensionOffer, ...], list[str]]:
    offers: list[ExtensionOffer] = []
    errors: list[str] = []
    for value in values:
        try:
            offers.extend(parse_extensions(value))
        except HeaderParseError as exc:
            errors.append(
                f"Sec-WebSocket-Extensions {value!r} does not parse: {exc} (RFC 6455 §9.1)"
            )
    return tuple(offers), errors


def _version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or "0")
    except ValueError:
        return (0, 0)


def _check_name(name: str) -> None:
    if not name or not all(ord(ch) < 128 and ord(ch) in _TCHARS for ch in name):
        raise ValueError(f"header name {name!r} is not an HTTP token (RFC 7230 §3.2)")


def _check_value(what: str, value: str) -> None:
    # CR or LF would end the field early and let the value inject headers of its own;
    # a deliberately broken request needs raw bytes, not this builder.
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what} {value!r} contains CR, LF or NUL")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {value!r} has characters outside ISO-8859-1") from None


def _merge_headers(
    generated: Sequence[tuple[str, str]], extra: HeaderOverrides
) -> list[tuple[str, str]]:
    """Apply the caller's headers to the generated ones.

    The first extra header whose name (case-insensitively) matches a generated one
    takes that header's place, spelled as the caller spelled it, or removes it if its
    value is ``None``; any other extra header, including a second one of the same
    name, is appended in the caller's order.
    """
    merged: list[tuple[str, str] | None] = list(generated)
    slots = {name.lower(): index for index, (name, _) in enumerate(generated)}
    for name, value in extra:
        _check_name(name)
        if value is not None:
            _check_value(f"header {name}", value)
        index = slots.pop(name.lower(), None)
        if index is not None:
            merged[index] = None if value is None else (name, value)
        elif value is not None:
            merged.append((name, value))
    return [item for item in merged if item is not None]


def _serialize(start_line: str, headers: Sequence[tuple[str, str]]) -> bytes:
    lines = [start_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1")


_Head = h11.Request | h11.Response | h11.InformationalResponse


def _decode_headers(event: _Head) -> HeaderList:
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in event.headers.raw_items()
    )


def _preview(data: bytes) -> str:
    text = repr(bytes(data[:16]))
    return text if len(data) <= 16 else text + "..."


# --------------------------------------------------------------------------------------
# Parse failures (both sides)
# --------------------------------------------------------------------------------------


class FailureKind(enum.Enum):
    """Why a handshake message could not be parsed at all."""

    NOT_HTTP = "not-http"
    MALFORMED = "malformed"
    TOO_LARGE = "too-large"
    EOF = "eof"


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A request or response that could not be parsed: the bytes received and why.

    It has ``problems`` and ``ok`` like the parsed results, so a caller can show
    any outcome the same way.
    """

    kind: FailureKind
    reason: str
    raw: bytes

    @property
    def problems(self) -> tuple[str, ...]:
        return (self.reason,)

    @property
    def ok(self) -> bool:
        return False


# --------------------------------------------------------------------------------------
# Client side: the request
# --------------------------------------------------------------------------------------


class _HeaderLookup:
    """Case-insensitive header lookup for the messages below (all have ``headers``)."""

    __slots__ = ()
    headers: HeaderList

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        values = _values(self.headers, name)
        return values[0] if values else None

    def header_values(self, name: str) -> tuple[str, ...]:
        """Every value of header ``name`` (case-insensitive), in order."""
        return _values(self.headers, name)


@dataclass(frozen=True, slots=True)
class ClientRequest(_HeaderLookup):
    """An opening handshake request as we send it (RFC 6455 section 4.1).

    ``key``, ``subprotocols`` and ``extensions`` describe what is on the wire, after
    the caller's overrides: the accept check uses the key the server actually saw.
    A header the caller replaced with a value that does not parse offers nothing.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
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
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
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
        if not protocol or not all(ord(ch) < 128 and ord(ch) in _TCHARS for ch in protocol):
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
        _check_value(f"header {name}", value)
    final = tuple(_merge_headers(headers, extra_headers))

    keys = _values(final, "sec-websocket-key")
    offered_protocols, protocol_errors = _parse_subprotocols(
        _values(final, "sec-websocket-protocol")
    )
    offered_extensions, extension_errors = _parse_extension_values(
        _values(final, "sec-websocket-extensions")
    )
    return ClientRequest(
        method="GET",
        target=resource,
        headers=final,
        raw=_serialize(f"GET {resource} HTTP/1.1", final),
        key=keys[0] if keys else "",
        subprotocols=() if protocol_errors else offered_protocols,
        extensions=() if extension_errors else offered_extensions,
    )


# --------------------------------------------------------------------------------------
# Server side: the request as received
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandshakeRequest(_HeaderLookup):
    """A client's opening handshake as a server received it (RFC 6455 section 4.2.1).

    ``raw`` is the header block exactly as received, up to and including the blank
    line; ``trailing`` holds the bytes that came after it in the same reads.
    ``key``, ``version`` and ``origin`` are the first value of their header, or
    ``None``; ``subprotocols`` and ``extensions`` gather every instance of their
    header (section 11.3.2 and 11.3.4 allow several in a request).
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1
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
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _make_request(
    raw: bytes, trailing: bytes, method: str, target: str, http_version: str, headers: HeaderList
) -> HandshakeRequest:
    # Section 4.2.1 lists what a server checks before it may answer 101.
    problems: list[str] = []
    if method != "GET":
        problems.append(f"method is {method!r}, the opening handshake must be a GET ({_S421})")
    if _version_tuple(http_version) < (1, 1):
        problems.append(
            f"HTTP/{http_version} request, the opening handshake needs HTTP/1.1 or higher ({_S421})"
        )
    if not _values(headers, "host"):
        problems.append(f"no Host header ({_S421})")
    for problem in (
        _upgrade_problem(_values(headers, "upgrade"), _S421),
        _connection_problem(_values(headers, "connection"), _S421),
    ):
        if problem:
            problems.append(problem)

    keys = _values(headers, "sec-websocket-key")
    key = keys[0] if keys else None
    if key is None:
        problems.append(f"no Sec-WebSocket-Key header ({_S421})")
    else:
        if len(keys) > 1:
            problems.append(
                f"Sec-WebSocket-Key appears {len(keys)} times, it must appear once "
                "(RFC 6455 §11.3.1)"
            )
        key_problem = _key_problem(key)
        if key_problem:
            problems.append(f"Sec-WebSocket-Key {key!r} {key_problem} ({_S421})")

    versions = _values(headers, "sec-websocket-version")
    version = versions[0] if versions else None
    if version is None:
        problems.append(f"no Sec-WebSocket-Version header, expected 13 ({_S421})")
    else:
        if len(versions) > 1:
            problems.append(
                f"Sec-WebSocket-Version appears {len(versions)} times, "
                "it must appear once in a request (RFC 6455 §11.3.5)"
            )
        if version != "13":
            problems.append(
                f"Sec-WebSocket-Version is {version!r}, expected 13; a server answers "
                f"426 Upgrade Required with 'Sec-WebSocket-Version: 13' ({_S421}, §4.4)"
            )

    origins = _values(headers, "origin")
    subprotocols, errors = _parse_subprotocols(_values(headers, "sec-websocket-protocol"))
    problems.extend(errors)
    extensions, errors = _parse_extension_values(_values(headers, "sec-websocket-extensions"))
    problems.extend(errors)
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


# --------------------------------------------------------------------------------------
# Client side: the response as received
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HandshakeResponse(_HeaderLookup):
    """A server's answer to our opening handshake, checked against our request.

    ``raw`` is the header block exactly as received, up to and including the blank
    line; ``trailing`` holds the bytes that came after it in the same reads (the
    first WebSocket frames after a 101, or the body of an error response).
    ``subprotocol`` is the value of ``Sec-WebSocket-Protocol`` (``None`` if absent)
    and ``extensions`` the extensions the server accepted, whatever their validity:
    ``problems`` says what is wrong with them.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
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
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class _ResponseReview:
    accept_check: AcceptCheck
    subprotocol: str | None
    extensions: tuple[ExtensionOffer, ...]
    problems: tuple[str, ...]


def _review_response(
    request: ClientRequest | HandshakeRequest,
    status_code: int,
    reason: str,
    http_version: str,
    headers: HeaderList,
) -> _ResponseReview:
    # A request captured from someone else may have no key; the accept is then
    # checked against the empty key, which no correct server answers.
    accepts = _values(headers, "sec-websocket-accept")
    accept_check = check_accept(request.key or "", accepts[0] if accepts else None)
    protocols = _values(headers, "sec-websocket-protocol")
    subprotocol = protocols[0] if protocols else None
    extensions, extension_errors = _parse_extension_values(
        _values(headers, "sec-websocket-extensions")
    )
    problems: list[str] = []

    if status_code != 101:
        status = f"{status_code} {reason}".strip()
        refusal = f"status {status}, expected 101 Switching Protocols ({_S41})"
        supported = _values(headers, "sec-websocket-version")
        if supported:
            refusal += (
                f"; the server supports Sec-WebSocket-Version {', '.join(supported)} "
                "(RFC 6455 §4.4)"
            )
        # The other checks only apply to a 101: a refusal has no reason to carry
        # Upgrade or Sec-WebSocket-Accept, and listing them would bury the cause.
        return _ResponseReview(accept_check, subprotocol, extensions, (refusal,))

    if _version_tuple(http_version) < (1, 1):
        problems.append(
            f"HTTP/{http_version} response: the upgrade needs HTTP/1.1 "
            "(RFC 6455 §4.2.2, RFC 7230 §6.7)"
        )
    for problem in (
        _upgrade_problem(_values(headers, "upgrade"), _S41),
        _connection_problem(_values(headers, "connection"), _S41),
    ):
        if problem:
            problems.append(problem)

    if accept_check.received is None:
        problems.append(f"no Sec-WebSocket-Accept header ({_S41})")
    else:
        if len(accepts) > 1:
            problems.append(
                f"Sec-WebSocket-Accept appears {len(accepts)} times, it must appear once "
                "(RFC 6455 §11.3.3)"
            )
        if not accept_check.ok:
            problems.append(
                f"Sec-WebSocket-Accept is {accept_check.received!r}, expected "
                f"{accept_check.expected!r} = base64(SHA-1(key + GUID)) ({_S41})"
            )

    if protocols:
        if len(protocols) > 1:
            problems.append(
                f"Sec-WebSocket-Protocol appears {len(protocols)} times, it must appear once "
                "in a response (RFC 6455 §11.3.4)"
            )
        offered = ", ".join(repr(p) for p in request.subprotocols)
        try:
            chosen = parse_token_list(protocols[0])
        except HeaderParseError as exc:
            problems.append(
                f"Sec-WebSocket-Protocol {protocols[0]!r} is not a token: {exc} (RFC 6455 §4.2.2)"
            )
        else:
            if len(chosen) != 1:
                problems.append(
                    f"Sec-WebSocket-Protocol is {protocols[0]!r}, the server must choose exactly "
                    "one subprotocol (RFC 6455 §4.2.2)"
                )
            elif not request.subprotocols:
                problems.append(
                    f"server chose subprotocol {chosen[0]!r} but the client offered none ({_S41})"
                )
            elif chosen[0] not in request.subprotocols:
                problems.append(
                    f"server chose subprotocol {chosen[0]!r}, which the client did not offer "
                    f"(offered: {offered}) ({_S41})"
                )

    problems.extend(extension_errors)
    offered_names = [name for name, _ in request.extensions]
    for name, _ in extensions:
        if not offered_names:
            problems.append(
                f"server accepted extension {name!r} but the client offered no extensions ({_S41})"
            )
        elif name not in offered_names:
            offered = ", ".join(repr(n) for n in offered_names)
            problems.append(
                f"server accepted extension {name!r}, which the client did not offer "
                f"(offered: {offered}) ({_S41})"
            )
    return _ResponseReview(accept_check, subprotocol, extensions, tuple(problems))


def validate_response(
    request: ClientRequest | HandshakeRequest, response: HandshakeResponse
) -> list[str]:
    """Check ``response`` against ``request`` as a client must (RFC 6455 section 4.1).

    ``request`` may also be a request parsed by :class:`RequestParser`, to check a
    captured exchange between two other programs. Returns the problems, empty if the
    handshake succeeded.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
    """
    review = _review_response(
        request, response.status_code, response.reason, response.http_version, response.headers
    )
    return list(review.problems)


# --------------------------------------------------------------------------------------
# Incremental parsers
# --------------------------------------------------------------------------------------

#: What :meth:`ResponseParser.feed` finally gives.
ResponseResult = HandshakeResponse | ParseFailure
#: What :meth:`RequestParser.feed` finally gives.
RequestResult = HandshakeRequest | ParseFailure


_R = TypeVar("_R", HandshakeRequest, HandshakeResponse)


class _HeadParser(Generic[_R]):
    """Buffers bytes until h11 has a whole header block, keeping every byte."""

    _side = ""  # "request" or "response", for messages
    _section = ""  # where RFC 6455 says what this side must check

    def __init__(self, max_header_size: int) -> None:
        if max_header_size < 1:
            raise ValueError("max_header_size must be positive")
        self.max_header_size = max_header_size
        self._buffer = bytearray()
        self._sniffed = False
        self._conn = self._make_connection()
        self._result: _R | ParseFailure | None = None

    def _make_connection(self) -> h11.Connection:
        raise NotImplementedError

    def _sniff(self, head: bytes) -> str | bool:
        """A reason if ``head`` cannot start this message, True once it is known to
        start right, False while too few bytes have come to tell."""
        raise NotImplementedError

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> _R:
        raise NotImplementedError

    def _malformed_refs(self, message: str) -> str:
        return f"RFC 7230 §3; {self._section}"

    @property
    def buffered(self) -> int:
        """How many bytes have been fed so far."""
        return len(self._buffer)

    @property
    def result(self) -> _R | ParseFailure | None:
        """The outcome once there is one, else ``None``."""
        return self._result

    def feed(self, data: bytes | bytearray | memoryview) -> _R | ParseFailure | None:
        """Add received bytes. Returns ``None`` until the header block is complete,
        then the parsed message or a :class:`ParseFailure`.

        Raises :class:`LocalProtocolError` once there is a result: later bytes belong
        to the frame parser, like the result's ``trailing``.
        """
        if self._result is not None:
            raise LocalProtocolError(
                f"the {self._side} is already parsed; bytes after it belong to the frame parser"
            )
        # h11 takes b"" as end of file; here EOF is feed_eof(), so an empty read is
        # simply nothing new.
        if not data:
            return None
        chunk = bytes(data)
        self._buffer += chunk
        if not self._sniffed:
            verdict = self._sniff(bytes(self._buffer[:64]))
            if isinstance(verdict, str):
                return self._fail(FailureKind.NOT_HTTP, verdict)
            self._sniffed = verdict
        self._conn.receive_data(chunk)
        try:
            event = self._conn.next_event()
        except h11.ProtocolError as exc:
            if len(self._buffer) > self.max_header_size:
                return self._too_large()
            message = str(exc)
            return self._fail(
                FailureKind.MALFORMED,
                f"malformed HTTP {self._side}: {message} ({self._malformed_refs(message)})",
            )
        if event is h11.NEED_DATA:
            return self._too_large() if len(self._buffer) > self.max_header_size else None
        if not isinstance(event, h11.Request | h11.Response | h11.InformationalResponse):
            # Unreachable with the states set up here; kept so that no h11 surprise
            # can escape as an exception.
            return self._fail(FailureKind.MALFORMED, f"unexpected HTTP event {event!r}")
        trailing = self._conn.trailing_data[0]
        head_size = len(self._buffer) - len(trailing)
        if head_size > self.max_header_size:
            # Checked on the complete block too, so that the outcome does not depend
            # on how the bytes were split into reads.
            return self._too_large()
        result = self._finish(event, bytes(self._buffer[:head_size]), trailing)
        self._result = result
        return result

    def feed_eof(self) -> _R | ParseFailure:
        """The connection closed: a :class:`ParseFailure` unless a result came already."""
        if self._result is not None:
            return self._result
        if not self._buffer:
            reason = f"the connection closed before any {self._side} byte arrived"
        else:
            reason = (
                f"the connection closed after {len(self._buffer)} bytes, before the end of "
                f"the {self._side} header block (the blank line)"
            )
        return self._fail(FailureKind.EOF, f"{reason} ({self._section})")

    def _fail(self, kind: FailureKind, reason: str) -> ParseFailure:
        failure = ParseFailure(kind=kind, reason=reason, raw=bytes(self._buffer))
        self._result = failure
        return failure

    def _too_large(self) -> ParseFailure:
        return self._fail(
            FailureKind.TOO_LARGE,
            f"the {self._side} header block is over {self.max_header_size} bytes "
            "(max_header_size; RFC 7230 §3.2.5)",
        )


class ResponseParser(_HeadParser[HandshakeResponse]):
    """Reads the server's answer to ``request``, a byte at a time or all at once.

    :meth:`feed` returns ``None`` until the header block is complete, then a
    :class:`HandshakeResponse` checked against ``request`` (see its ``problems``), or
    a :class:`ParseFailure`. ``request`` may be a :class:`HandshakeRequest` parsed
    from a capture. Feeding after the result raises :class:`LocalProtocolError`.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.1
    """

    _side = "response"
    _section = _S41

    def __init__(
        self,
        request: ClientRequest | HandshakeRequest,
        *,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
    ) -> None:
        self.request = request
        super().__init__(max_header_size)

    def _make_connection(self) -> h11.Connection:
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=self.max_header_size)
        # h11 accepts a 101 only after a request that asked for an upgrade. The real
        # request went out as our own bytes, so h11 is shown a stand-in, whose output
        # is discarded.
        conn.send(
            h11.Request(
                method="GET",
                target="/",
                headers=[("Host", "stand-in"), ("Upgrade", "websocket"), ("Connection", "Upgrade")],
            )
        )
        conn.send(h11.EndOfMessage())
        return conn

    def _sniff(self, head: bytes) -> str | bool:
        expected = b"HTTP/"
        if head[: len(expected)] == expected[: len(head)]:
            return len(head) >= len(expected)
        reason = f"the server's reply is not HTTP: it starts with {_preview(head)}, not 'HTTP/'"
        if head[:2] in (b"\x15\x03", b"\x16\x03"):
            reason += "; it looks like TLS, so the server expects wss://"
        return f"{reason} ({_S41})"

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> HandshakeResponse:
        assert not isinstance(event, h11.Request)  # a client's h11 reads responses only
        headers = _decode_headers(event)
        http_version = event.http_version.decode("ascii")
        reason = event.reason.decode("latin-1")
        review = _review_response(self.request, event.status_code, reason, http_version, headers)
        return HandshakeResponse(
            raw=raw,
            http_version=http_version,
            status_code=event.status_code,
            reason=reason,
            headers=headers,
            trailing=trailing,
            accept_check=review.accept_check,
            subprotocol=review.subprotocol,
            extensions=review.extensions,
            problems=review.problems,
        )


class RequestParser(_HeadParser[HandshakeRequest]):
    """Reads a client's opening handshake, a byte at a time or all at once.

    :meth:`feed` returns ``None`` until the header block is complete, then a
    :class:`HandshakeRequest` (see its ``problems``) or a :class:`ParseFailure`.
    Feeding after the result raises :class:`LocalProtocolError`.
    https://www.rfc-editor.org/rfc/rfc6455#section-4.2.1
    """

    _side = "request"
    _section = _S421

    def __init__(self, *, max_header_size: int = DEFAULT_MAX_HEADER_SIZE) -> None:
        super().__init__(max_header_size)

    def _make_connection(self) -> h11.Connection:
        return h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_header_size)

    def _sniff(self, head: bytes) -> str | bool:
        # A request starts with a method token and a space (RFC 7230 section 3.1.1).
        for index, byte in enumerate(head):
            if byte == 0x20 and index > 0:
                return True
            if byte not in _TCHARS:
                reason = (
                    f"the client's bytes are not an HTTP request: they start with "
                    f"{_preview(head)}, not a method such as 'GET '"
                )
                if head[:2] == b"\x16\x03":
                    reason += "; it looks like a TLS ClientHello, so the client expects wss://"
                return f"{reason} (RFC 7230 §3.1.1; {_S421})"
        return False

    def _malformed_refs(self, message: str) -> str:
        if "Host" in message:
            return f"RFC 7230 §5.4; {_S421}"
        return super()._malformed_refs(message)

    def _finish(self, event: _Head, raw: bytes, trailing: bytes) -> HandshakeRequest:
        assert isinstance(event, h11.Request)  # a server's h11 reads requests only
        return _make_request(
            raw,
            trailing,
            event.method.decode("latin-1"),
            event.target.decode("latin-1"),
            event.http_version.decode("ascii"),
            _decode_headers(event),
        )


def parse_response(
    request: ClientRequest | HandshakeRequest,
    data: bytes,
    *,
    max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
) -> ResponseResult:
    """Parse a whole captured response at once; ``data`` ending early is an EOF failure."""
    parser = ResponseParser(request, max_header_size=max_header_size)
    return parser.feed(data) or parser.feed_eof()


def parse_request(data: bytes, *, max_header_size: int = DEFAULT_MAX_HEADER_SIZE) -> RequestResult:
    """Parse a whole captured request at once; ``data`` ending early is an EOF failure."""
    parser = RequestParser(max_header_size=max_header_size)
    return parser.feed(data) or parser.feed_eof()


# --------------------------------------------------------------------------------------
# Server side: answers
# --------------------------------------------------------------------------------------


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
    ``None``) as in :func:`build_client_request`. Nothing is checked against the
    request, so that a test server can misbehave on purpose (choose an unoffered
    subprotocol, send a wrong accept). Raises ``ValueError`` if the request had no key
    and ``extra_headers`` does not supply ``Sec-WebSocket-Accept``.
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
        _check_value(f"header {name}", value)
    return _serialize("HTTP/1.1 101 Switching Protocols", _merge_headers(headers, extra_headers))


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
    :func:`build_client_request`: a header of the same name replaces the generated
    one in place (e.g. ``("Sec-WebSocket-Version", "13, 8, 7")``).
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
    _check_value("reason", reason)
    payload = body.encode("utf-8")
    generated: list[tuple[str, str]] = []
    if payload:
        generated.append(("Content-Type", "text/plain; charset=utf-8"))
    generated.append(("Content-Length", str(len(payload))))
    # Once the handshake is refused nothing else is expected on this connection.
    generated.append(("Connection", "close"))
    if version_header or (version_header is None and status == 426):
        generated.append(("Sec-WebSocket-Version", "13"))
    return _serialize(f"HTTP/1.1 {status} {reason}", _merge_headers(generated, headers)) + payload


def split_head(raw: bytes) -> tuple[str, HeaderList]:
    """The start line and the headers of a raw header block, as they are, for display.

    Unlike the parsers this never judges: it is for showing any bytes that were sent or
    received (even a malformed head) as a start line and name/value pairs.
    """
    if not raw:
        return "", ()
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], tuple(headers)
