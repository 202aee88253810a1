"""The permessage-deflate extension (RFC 7692): negotiation and the per-message codec.

Sans-I/O: this module turns handshake parameters into :class:`DeflateParams` and
compresses or inflates whole message payloads; framing (RSV1, fragmentation) is the
connection's business. A peer's mistake surfaces as a :class:`DeflateError` subclass
whose message says what was wrong and which section of RFC 7692 it breaks:

* :class:`NegotiationError` - an extension offer or response the RFC forbids
  (https://www.rfc-editor.org/rfc/rfc7692#section-7);
* :class:`InflateError` - a compressed message that is not valid DEFLATE data
  (https://www.rfc-editor.org/rfc/rfc7692#section-7.2.2);
* :class:`InflateTooLarge` - a message that inflates past the configured limit.

Window bits 8: zlib refuses to *compress* with a 256-byte window
(https://github.com/madler/zlib/issues/171), so when 8 is negotiated for our own
direction we compress with Huffman coding only; output without back-references is
valid for any window size, so the agreement is kept at some cost in ratio.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .constants import DEFAULT_MAX_MESSAGE_SIZE, Role
from .headers import ExtensionOffer

__all__ = [
    "EXTENSION_NAME",
    "DeflateError",
    "DeflateOffer",
    "DeflateParams",
    "InflateError",
    "InflateTooLarge",
    "NegotiationError",
    "PerMessageDeflate",
    "negotiate_client",
    "negotiate_server",
]

EXTENSION_NAME: Final = "permessage-deflate"

_RFC_URL = "https://www.rfc-editor.org/rfc/rfc7692"

#: RFC 7692 section 7.2.1: a sync flush ends with an empty stored block whose last
#: four octets the sender removes and the receiver puts back (section 7.2.2).
_TAIL: Final = b"\x00\x00\xff\xff"

#: Section 7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15".
_WINDOW_BITS_RE: Final = re.compile(r"[89]|1[0-5]")

#: A message may legitimately hold a few DEFLATE streams closed with BFINAL (section
#: 7.2.3.4), but each one costs us a fresh inflater primed with the whole window;
#: thousands of two-byte empty final blocks would turn a small payload into
#: seconds of CPU, so past this many we give up on the message.
_MAX_FINAL_BLOCKS: Final = 1024

_SERVER_NCT: Final = "server_no_context_takeover"
_CLIENT_NCT: Final = "client_no_context_takeover"
_SERVER_MWB: Final = "server_max_window_bits"
_CLIENT_MWB: Final = "client_max_window_bits"
_PARAM_SECTIONS: Final = {
    _SERVER_NCT: "7.1.1.1",
    _CLIENT_NCT: "7.1.1.2",
    _SERVER_MWB: "7.1.2.1",
    _CLIENT_MWB: "7.1.2.2",
}


# --------------------------------------------------------------------------- errors


class DeflateError(Exception):
    """Base of every permessage-deflate error.

    ``reason`` is a full sentence ending with the RFC 7692 section it relies on;
    ``section`` is that section alone (``"7.1.2.1"``) and ``url`` links to it.
    """

    def __init__(self, reason: str, section: str) -> None:
        self.reason = f"{reason} (RFC 7692 §{section})"
        self.section = section
        super().__init__(self.reason)

    @property
    def url(self) -> str:
        return f"{_RFC_URL}#section-{self.section}"


class NegotiationError(DeflateError):
    """An extension offer or response that RFC 7692 section 7 forbids.

    A client receiving such a response must fail the connection; a server receiving
    such an offer must decline it (https://www.rfc-editor.org/rfc/rfc7692#section-7).
    """


class InflateError(DeflateError):
    """A compressed message that does not inflate
    (https://www.rfc-editor.org/rfc/rfc7692#section-7.2.2)."""


class InflateTooLarge(DeflateError):
    """A message that inflates to more than the configured limit (a decompression bomb,
    or just a message bigger than the application accepts).

    ``limit`` is the limit in bytes, ``compressed_size`` the size of the payload.
    Inflation stopped one byte past the limit, so nothing larger was allocated.
    """

    def __init__(self, limit: int, compressed_size: int) -> None:
        self.limit = limit
        self.compressed_size = compressed_size
        super().__init__(
            f"a {compressed_size:,}-byte compressed message inflates to more than the "
            f"limit of {limit:,} bytes; inflation stopped there (decompression bomb guard)",
            "6.2",
        )


# --------------------------------------------------------------------------- values


def _check_bits(name: str, bits: int | None, low: int = 8) -> None:
    if bits is not None and (isinstance(bits, bool) or not low <= bits <= 15):
        raise ValueError(f"{name} must be None or an int from {low} to 15, not {bits!r}")


@dataclass(frozen=True, slots=True)
class DeflateParams:
    """The agreed parameters of a permessage-deflate connection.

    ``None`` window bits mean "not constrained", which is 15 (a 32 KiB window,
    https://www.rfc-editor.org/rfc/rfc7692#section-7.1.2). ``server_*`` parameters
    govern what the server compresses (and so the client inflates), ``client_*``
    what the client compresses.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | None = None

    def __post_init__(self) -> None:
        _check_bits("server_max_window_bits", self.server_max_window_bits)
        _check_bits("client_max_window_bits", self.client_max_window_bits)

    @property
    def server_window_bits(self) -> int:
        """Base-2 log of the LZ77 window the server compresses with (8-15)."""
        return 15 if self.server_max_window_bits is None else self.server_max_window_bits

    @property
    def client_window_bits(self) -> int:
        """Base-2 log of the LZ77 window the client compresses with (8-15)."""
        return 15 if self.client_max_window_bits is None else self.client_max_window_bits

    def window_bits(self, sender: Role) -> int:
        """Window bits of the messages ``sender`` compresses."""
        return self.client_window_bits if sender is Role.CLIENT else self.server_window_bits

    def no_context_takeover(self, sender: Role) -> bool:
        """Whether ``sender`` starts every message with an empty window
        (https://www.rfc-editor.org/rfc/rfc7692#section-7.1.1)."""
        if sender is Role.CLIENT:
            return self.client_no_context_takeover
        return self.server_no_context_takeover

    def to_extension(self) -> ExtensionOffer:
        """These parameters as a server's response
        (``Sec-WebSocket-Extensions`` element, see ``headers.format_extension``)."""
        return (
            EXTENSION_NAME,
            _build_params(
                self.server_no_context_takeover,
                self.client_no_context_takeover,
                self.server_max_window_bits,
                self.client_max_window_bits,
            ),
        )


@dataclass(frozen=True, slots=True)
class DeflateOffer:
    """A client's permessage-deflate offer (https://www.rfc-editor.org/rfc/rfc7692#section-7.1).

    ``client_max_window_bits=True`` sends the parameter without a value: "I can
    compress with a smaller window if you ask" (section 7.1.2.2). The default is
    ``permessage-deflate; client_max_window_bits``, what browsers send.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | Literal[True] | None = True

    def __post_init__(self) -> None:
        _check_bits("server_max_window_bits", self.server_max_window_bits)
        if self.client_max_window_bits is not True:
            _check_bits("client_max_window_bits", self.client_max_window_bits)

    def to_extension(self) -> ExtensionOffer:
        """The offer as one ``Sec-WebSocket-Extensions`` element."""
        return (
            EXTENSION_NAME,
            _build_params(
                self.server_no_context_takeover,
                self.client_no_context_takeover,
                self.server_max_window_bits,
                self.client_max_window_bits,
            ),
        )

    @classmethod
    def from_extension(cls, offer: ExtensionOffer) -> DeflateOffer:
        """Parse a client's offer, raising :class:`NegotiationError` for one a server
        must decline (https://www.rfc-editor.org/rfc/rfc7692#section-7)."""
        name, params = offer
        if name != EXTENSION_NAME:
            raise NegotiationError(f"the offer is for {name!r}, not {EXTENSION_NAME!r}", "7")
        found = _collect(params, "offer")
        client_bits: int | Literal[True] | None = None
        if _CLIENT_MWB in found:
            value = found[_CLIENT_MWB]
            client_bits = True if value is None else _parse_bits(_CLIENT_MWB, value, "offer")
        server_bits = None
        if _SERVER_MWB in found:
            server_bits = _parse_bits(_SERVER_MWB, found[_SERVER_MWB], "offer")
        return cls(
            server_no_context_takeover=_SERVER_NCT in found,
            client_no_context_takeover=_CLIENT_NCT in found,
            server_max_window_bits=server_bits,
            client_max_window_bits=client_bits,
        )


def _build_params(
    server_nct: bool,
    client_nct: bool,
    server_bits: int | None,
    client_bits: int | Literal[True] | None,
) -> tuple[tuple[str, str | None], ...]:
    # The same order as websockets and most servers, so captures compare easily.
    params: list[tuple[str, str | None]] = []
    if server_nct:
        params.append((_SERVER_NCT, None))
    if client_nct:
        params.append((_CLIENT_NCT, None))
    if server_bits is not None:
        params.append((_SERVER_MWB, str(server_bits)))
    if client_bits is True:
        params.append((_CLIENT_MWB, None))
    elif client_bits is not None:
        params.append((_CLIENT_MWB, str(client_bits)))
    return tuple(params)


def _collect(
    params: Sequence[tuple[str, str | None]], where: Literal["offer", "response"]
) -> dict[str, str | None]:
    """Check names, duplicates and the no-value parameters; return name -> value."""
    found: dict[str, str | None] = {}
    for name, value in params:
        if name not in _PARAM_SECTIONS:
            hint = ""
            if name.lower() in _PARAM_SECTIONS:
                hint = f" (parameter names are case-sensitive: {name.lower()!r})"
            raise NegotiationError(
                f"unknown parameter {name!r} in the permessage-deflate {where}{hint}", "7"
            )
        if name in found:
            raise NegotiationError(
                f"parameter {name!r} appears more than once in the permessage-deflate {where}",
                "7",
            )
        if name in (_SERVER_NCT, _CLIENT_NCT) and value is not None:
            raise NegotiationError(
                f"{name} takes no value, but the {where} gives it {value!r}",
                _PARAM_SECTIONS[name],
            )
        found[name] = value
    return found


def _parse_bits(name: str, value: str | None, where: str) -> int:
    section = _PARAM_SECTIONS[name]
    if value is None:
        raise NegotiationError(f"{name} needs a value from 8 to 15 in the {where}", section)
    if _WINDOW_BITS_RE.fullmatch(value) is None:
        raise NegotiationError(
            f"{name}={value!r} in the {where} is not a number from 8 to 15 "
            "written without leading zeroes",
            section,
        )
    return int(value)


# --------------------------------------------------------------------------- negotiation


def negotiate_client(offer: DeflateOffer, response: ExtensionOffer) -> DeflateParams:
    """Check the server's response to our ``offer`` and return the agreed parameters.

    Raises :class:`NegotiationError` for every response RFC 7692 section 7 tells a
    client to fail the connection on: unknown, duplicate or malformed parameters,
    a missing ``server_no_context_takeover`` or ``server_max_window_bits`` that we
    asked for, a larger ``server_max_window_bits`` than we offered, a
    ``client_max_window_bits`` we did not offer or larger than we offered
    (https://www.rfc-editor.org/rfc/rfc7692#section-7.1).
    """
    name, params = response
    if name != EXTENSION_NAME:
        raise NegotiationError(f"the response is for {name!r}, not {EXTENSION_NAME!r}", "7")
    found = _collect(params, "response")

    server_nct = _SERVER_NCT in found
    if offer.server_no_context_takeover and not server_nct:
        raise NegotiationError(
            "we offered server_no_context_takeover and the server accepted the offer "
            "without it; a server that cannot honour it must decline the offer",
            "7.1.1.1",
        )

    # Offering client_no_context_takeover is our promise: it holds even when the
    # server does not echo it (section 7.1.1.2).
    client_nct = offer.client_no_context_takeover or _CLIENT_NCT in found

    server_bits: int | None = None
    if _SERVER_MWB in found:
        server_bits = _parse_bits(_SERVER_MWB, found[_SERVER_MWB], "response")
        if offer.server_max_window_bits is not None and server_bits > offer.server_max_window_bits:
            raise NegotiationError(
                f"the server answered server_max_window_bits={server_bits}, more than the "
                f"{offer.server_max_window_bits} we offered",
                "7.1.2.1",
            )
    elif offer.server_max_window_bits is not None:
        raise NegotiationError(
            f"we offered server_max_window_bits={offer.server_max_window_bits} and the "
            "server accepted the offer without it; it must echo the same or a smaller value",
            "7.1.2.1",
        )

    client_bits: int | None = None
    if _CLIENT_MWB in found:
        if offer.client_max_window_bits is None:
            raise NegotiationError(
                "the server sent client_max_window_bits, which we did not offer; a server "
                "may only send it in reply to an offer that has it",
                "7.1.2.2",
            )
        client_bits = _parse_bits(_CLIENT_MWB, found[_CLIENT_MWB], "response")
        if offer.client_max_window_bits is not True and client_bits > offer.client_max_window_bits:
            raise NegotiationError(
                f"the server answered client_max_window_bits={client_bits}, more than the "
                f"{offer.client_max_window_bits} we offered",
                "7.1.2.2",
            )
    elif offer.client_max_window_bits is not True:
        # Our offered value limits our own window whatever the server says.
        client_bits = offer.client_max_window_bits

    return DeflateParams(
        server_no_context_takeover=server_nct,
        client_no_context_takeover=client_nct,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
    )


def negotiate_server(
    offers: Sequence[ExtensionOffer],
    *,
    server_no_context_takeover: bool = False,
    client_no_context_takeover: bool = False,
    server_max_window_bits: int | None = None,
    client_max_window_bits: int | None = None,
) -> tuple[DeflateParams, ExtensionOffer] | None:
    """Accept the first acceptable permessage-deflate offer among ``offers``.

    Returns the agreed parameters and the response element to send, or ``None``
    when no offer is acceptable. Offers of other extensions are skipped; malformed
    permessage-deflate offers are declined as section 7 requires (use
    :meth:`DeflateOffer.from_extension` to learn why).

    The keyword arguments are the server's wishes: force no context takeover on
    either side, and cap either window. ``client_max_window_bits`` can only be
    applied when the client's offer says it supports the parameter (section
    7.1.2.2); otherwise the client keeps its 15-bit window. A client's own
    requests (``server_no_context_takeover``, a smaller ``server_max_window_bits``)
    are always honoured, so every well-formed offer is acceptable
    (https://www.rfc-editor.org/rfc/rfc7692#section-7.1).
    """
    _check_bits("server_max_window_bits", server_max_window_bits)
    _check_bits("client_max_window_bits", client_max_window_bits)
    for element in offers:
        if element[0] != EXTENSION_NAME:
            continue
        try:
            offer = DeflateOffer.from_extension(element)
        except NegotiationError:
            continue

        server_bits = _min_bits(offer.server_max_window_bits, server_max_window_bits)
        client_bits: int | None
        if offer.client_max_window_bits is None:
            client_bits = None
        elif offer.client_max_window_bits is True:
            client_bits = client_max_window_bits
        else:
            # Echo the client's own cap so both ends record the same window.
            client_bits = _min_bits(offer.client_max_window_bits, client_max_window_bits)

        params = DeflateParams(
            server_no_context_takeover=offer.server_no_context_takeover
            or server_no_context_takeover,
            # The client's hint holds anyway (section 7.1.1.2); echoing it lets both
            # ends agree on the parameters and lets us drop the inflater per message.
            client_no_context_takeover=offer.client_no_context_takeover
            or client_no_context_takeover,
            server_max_window_bits=server_bits,
            client_max_window_bits=client_bits,
        )
        return params, params.to_extension()
    return None


def _min_bits(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


# --------------------------------------------------------------------------- codec


class PerMessageDeflate:
    """Compression state of one connection (https://www.rfc-editor.org/rfc/rfc7692#section-7.2).

    ``role`` is our side: a client compresses with the ``client_*`` parameters and
    inflates with the ``server_*`` ones, a server the reverse. Both directions keep
    their LZ77 window between messages unless the sender's no_context_takeover
    parameter was agreed.

    :meth:`decompress` refuses to produce more than ``max_inflated_size`` bytes of a
    message (``None``: no limit). When it raises, the inflater's window may be lost;
    if the peer uses context takeover, :attr:`needs_reset` is then true and every
    later call raises until :meth:`reset_inflater` is called, after which messages
    that refer to lost data fail to inflate, the rest succeed (useful to go on
    observing a connection that is failing anyway).

    The counters ``received_compressed``, ``received_inflated``,
    ``received_messages``, ``sent_uncompressed``, ``sent_compressed`` and
    ``sent_messages`` count successfully processed bytes and messages.
    """

    __slots__ = (
        "_deflater",
        "_history",
        "_inflater",
        "_needs_reset",
        "compress_level",
        "incoming_no_context_takeover",
        "incoming_window_bits",
        "max_inflated_size",
        "outgoing_no_context_takeover",
        "outgoing_window_bits",
        "params",
        "received_compressed",
        "received_inflated",
        "received_messages",
        "role",
        "sent_compressed",
        "sent_messages",
        "sent_uncompressed",
    )

    def __init__(
        self,
        params: DeflateParams,
        role: Role,
        *,
        max_inflated_size: int | None = DEFAULT_MAX_MESSAGE_SIZE,
        compress_level: int = 6,
    ) -> None:
        if max_inflated_size is not None and max_inflated_size < 0:
            raise ValueError(f"max_inflated_size must be None or >= 0, not {max_inflated_size}")
        if not -1 <= compress_level <= 9:
            raise ValueError(f"compress_level must be from -1 to 9, not {compress_level}")
        self.params = params
        self.role = role
        self.max_inflated_size = max_inflated_size
        self.compress_level = compress_level
        self.outgoing_window_bits = params.window_bits(role)
        self.outgoing_no_context_takeover = params.no_context_takeover(role)
        self.incoming_window_bits = params.window_bits(role.peer)
        self.incoming_no_context_takeover = params.no_context_takeover(role.peer)

        self.received_compressed = 0
        self.received_inflated = 0
        self.received_messages = 0
        self.sent_uncompressed = 0
        self.sent_compressed = 0
        self.sent_messages = 0

        self._deflater: zlib._Compress | None = None
        self._inflater: zlib._Decompress | None = None
        self._needs_reset = False
        # The last 2**bits inflated bytes, kept only with context takeover: after a
        # BFINAL block (section 7.2.3.4) zlib's inflater is spent and a new one must
        # be primed with the window the next block may refer to.
        self._history: bytearray | None = None if self.incoming_no_context_takeover else bytearray()

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate({self.params!r}, {self.role}, "
            f"max_inflated_size={self.max_inflated_size!r})"
        )

    # ------------------------------------------------------------------ inflating

    @property
    def needs_reset(self) -> bool:
        """True after a failed :meth:`decompress` lost the window the peer relies on."""
        return self._needs_reset

    def reset_inflater(self) -> None:
        """Forget the incoming window so that :meth:`decompress` works again."""
        self._inflater = None
        self._needs_reset = False
        if self._history is not None:
            self._history.clear()

    def _new_inflater(self, window: bytes = b"") -> zlib._Decompress:
        if window:
            return zlib.decompressobj(-self.incoming_window_bits, zdict=window)
        return zlib.decompressobj(-self.incoming_window_bits)

    def _window_with(self, recent: bytes) -> bytes:
        """The last 2**bits bytes the next block may refer to: ``recent`` (this
        message so far) preceded, with context takeover, by earlier messages."""
        size = 1 << self.incoming_window_bits
        if len(recent) >= size or self._history is None:
            return recent[-size:]
        return bytes(self._history[len(recent) - size :]) + recent

    def decompress(self, payload: bytes | bytearray | memoryview) -> bytes:
        """Inflate the payload of one whole compressed message (the concatenated
        payloads of its frames), https://www.rfc-editor.org/rfc/rfc7692#section-7.2.2.

        Raises :class:`InflateTooLarge` past ``max_inflated_size`` and
        :class:`InflateError` for data that is not DEFLATE, for an empty payload
        (section 7.2.3.6; the window is left intact) and for references to data the
        agreed window or no_context_takeover rules out. zlib notices those only when
        they reach before the start of this message's output, so a peer compressing
        with too large a window can go unnoticed inside one long message.
        """
        if self._needs_reset:
            raise InflateError(
                "the peer's LZ77 window was lost when an earlier message failed to "
                "inflate, so this message cannot be inflated (call reset_inflater() to "
                "go on with an empty window)",
                "7.2.2",
            )
        size = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
        if size == 0:
            # Inflater untouched: the connection may go on if the caller tolerates it.
            raise InflateError(
                "the compressed message has an empty payload; with 00 00 ff ff appended "
                "it is an unfinished stored block, the empty message is the single byte 0x00",
                "7.2.3.6",
            )
        inflater = self._inflater
        if inflater is None or self.incoming_no_context_takeover:
            inflater = self._new_inflater()
        data = bytes(payload) + _TAIL
        limit = self.max_inflated_size
        chunks: list[bytes] = []
        produced = 0
        streams = 0
        try:
            while True:
                if limit is None:
                    chunk = inflater.decompress(data)
                else:
                    # zlib stops at max_length and keeps the rest in unconsumed_tail,
                    # so a bomb costs at most limit + 1 bytes.
                    chunk = inflater.decompress(data, limit + 1 - produced)
                produced += len(chunk)
                chunks.append(chunk)
                if limit is not None and produced > limit:
                    raise InflateTooLarge(limit, size)
                if not inflater.eof:
                    break
                # A BFINAL block ended zlib's stream but not the message (section
                # 7.2.3.4): go on with a new inflater that still sees the window.
                streams += 1
                if streams > _MAX_FINAL_BLOCKS:
                    raise InflateError(
                        f"the message holds more than {_MAX_FINAL_BLOCKS} DEFLATE blocks "
                        "with BFINAL set; refusing to restart the inflater for each",
                        "7.2.3.4",
                    )
                rest = inflater.unused_data
                inflater = self._new_inflater(self._window_with(b"".join(chunks)))
                # The RFC's example ends with one 0x00 byte after the final block so
                # that our tail completes an empty stored block; a sender that leaves
                # it out still sent an unambiguous message, and feeding the bare tail
                # would leave the new inflater inside a bogus stored block.
                if not rest or rest == _TAIL:
                    break
                data = rest
        except zlib.error as exc:
            self._fail()
            raise InflateError(self._explain(exc), "7.2.2") from None
        except DeflateError:
            self._fail()
            raise

        out = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if not self.incoming_no_context_takeover:
            self._inflater = inflater
            self._remember(out)
        self.received_compressed += size
        self.received_inflated += len(out)
        self.received_messages += 1
        return out

    def _remember(self, out: bytes) -> None:
        history = self._history
        if history is None:
            return
        size = 1 << self.incoming_window_bits
        if len(out) >= size:
            history[:] = out[-size:]
        else:
            history += out
            # Trim only when twice the window, so the copy is amortised.
            if len(history) > 2 * size:
                del history[:-size]

    def _fail(self) -> None:
        self._inflater = None
        if self.incoming_no_context_takeover:
            return  # the next message starts from an empty window anyway
        self._needs_reset = True
        if self._history is not None:
            self._history.clear()

    def _explain(self, exc: zlib.error) -> str:
        detail = str(exc).partition(": ")[2] or str(exc)
        reason = f"the compressed message is not valid DEFLATE data ({detail})"
        if "too far back" in detail:
            sender = self.role.peer.value
            bits = self.incoming_window_bits
            if self.incoming_no_context_takeover:
                reason += (
                    f"; the {sender} seems to refer to an earlier message although "
                    f"{sender}_no_context_takeover was agreed"
                )
            else:
                reason += (
                    f"; the {sender} seems to use a window larger than the agreed "
                    f"{sender}_max_window_bits={bits} ({1 << bits} bytes)"
                )
        return reason

    # ------------------------------------------------------------------ compressing

    def _new_deflater(self) -> zlib._Compress:
        bits = self.outgoing_window_bits
        if bits == 8:
            # zlib cannot deflate with a 256-byte window; Huffman-only output has no
            # back-references at all, so a 512-byte window setting is never used.
            return zlib.compressobj(self.compress_level, zlib.DEFLATED, -9, 8, zlib.Z_HUFFMAN_ONLY)
        return zlib.compressobj(self.compress_level, zlib.DEFLATED, -bits)

    def compress(self, data: bytes | bytearray | memoryview) -> bytes:
        """Compress one whole message (https://www.rfc-editor.org/rfc/rfc7692#section-7.2.1).

        The result may be split across frames anywhere. An empty message compresses
        to ``b"\\x00"`` (section 7.2.3.6).
        """
        deflater = self._deflater
        if deflater is None or self.outgoing_no_context_takeover:
            deflater = self._new_deflater()
        out = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
        if out.endswith(_TAIL):
            out = out[:-4]
        # Never an empty payload: the receiver's appended tail would open a stored
        # block it never finishes (section 7.2.3.6 sends 0x00 instead).
        if not out:
            out = b"\x00"
        if not self.outgoing_no_context_takeover:
            self._deflater = deflater
        self.sent_uncompressed += len(data) if not isinstance(data, memoryview) else data.nbytes
        self.sent_compressed += len(out)
        self.sent_messages += 1
        return out
