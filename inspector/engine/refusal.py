"""Why a server refused the upgrade, in one sentence: the one definition that the
engine's :class:`~inspector.engine.options.ConnectError`, the commands and the window
all show.

A refusal is any answer other than ``101 Switching Protocols``: a web page (200), a
redirect (3xx, where its ``Location`` is what the user needs), an authentication
challenge (401/407), a version mismatch (426 with ``Sec-WebSocket-Version``), an
error page. The sentence gives the status, what the server asks for, and what the
body is with a short plain-text quote of it (an HTML page's title, or its first
words), never the body itself, and never cut mid-word.

The sentence quotes the peer: it is one line, but not escaped. Whoever prints it on
a terminal escapes it (the commands do, through their renderer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..protocol.handshake import HandshakeResponse
from ..views.text import format_bytes

__all__ = ["QUOTE_LIMIT", "Refusal", "body_quote", "clip_words"]

#: The longest quote of a body in the sentence, in characters.
QUOTE_LIMIT = 80
#: The longest redirect target or challenge shown, in characters.
_FIELD_LIMIT = 200
#: How much of a body is read to find its quote: a page's title and first words are
#: near its start, and a hostile page must not cost more than this.
_QUOTE_SCAN = 16 * 1024

_SPACE = re.compile(r"\s+")
_TEXTUAL = re.compile(r"^(text/.*|application/(json|xml|problem\+json|[\w.+-]+\+(json|xml)))$")


def clip_words(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters, cut between words (with
    ``…``) when it is longer; a single word longer than the limit is cut anyway."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


class _PageText(HTMLParser):
    """The title and the visible text of (the start of) an HTML page."""

    _HIDDEN = frozenset(("script", "style", "head", "noscript", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN or tag == "title":
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass
        if tag in ("p", "div", "h1", "h2", "h3", "li", "br", "tr", "title"):
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title.append(data)
        elif not self._open:
            self.text.append(data)


def _is_html(content_type: str, text: str) -> bool:
    if content_type in ("text/html", "application/xhtml+xml"):
        return True
    head = text.lstrip()[:64].lower()
    return not content_type and (head.startswith("<!doctype html") or head.startswith("<html"))


def body_quote(body: bytes, content_type: str = "") -> str:
    """A short plain-text quote of a refusal's body: an HTML page's title (or its
    first visible words), a text or JSON body's first words; ``""`` for a body that
    is not text (binary, or not UTF-8)."""
    kind = content_type.split(";")[0].strip().lower()
    if not body or (kind and not _TEXTUAL.match(kind)):
        return ""
    try:
        text = body[:_QUOTE_SCAN].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < _QUOTE_SCAN - 4:  # not just a character cut by the scan limit
            return ""
        text = body[: exc.start].decode("utf-8")
    if any(ord(ch) < 0x20 and ch not in "\t\r\n" for ch in text):
        return ""  # binary that happens to decode
    if _is_html(kind, text):
        page = _PageText()
        page.feed(text)
        page.close()
        title = clip_words("".join(page.title), QUOTE_LIMIT)
        return title or clip_words("".join(page.text), QUOTE_LIMIT)
    return clip_words(text, QUOTE_LIMIT)


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a server that refused the upgrade said, in the parts a person acts on."""

    status: int
    reason: str
    #: Where a redirect (3xx) points.
    location: str | None = None
    #: The challenge of a 401 (``WWW-Authenticate``) or 407 (``Proxy-Authenticate``).
    authenticate: str | None = None
    #: The ``Sec-WebSocket-Version`` values the server supports (RFC 6455 §4.4).
    versions: tuple[str, ...] = ()
    content_type: str = ""
    #: Bytes of body the server sent, or declared when it sent fewer.
    body_size: int = 0
    quote: str = ""

    @classmethod
    def from_response(cls, response: HandshakeResponse) -> Refusal:
        """The refusal in a response whose ``trailing`` holds its body."""
        status = response.status_code
        location = response.header("location") if 300 <= status < 400 else None
        challenge = {401: "www-authenticate", 407: "proxy-authenticate"}.get(status)
        kind = (response.header("content-type") or "").split(";")[0].strip().lower()
        size = len(response.trailing)
        declared = (response.header("content-length") or "").strip()
        if declared.isdigit():
            size = max(size, int(declared))
        return cls(
            status=status,
            reason=response.reason,
            location=location,
            authenticate=response.header(challenge) if challenge else None,
            versions=tuple(response.header_values("sec-websocket-version")),
            content_type=kind,
            body_size=size,
            quote=body_quote(response.trailing, kind),
        )

    @property
    def status_text(self) -> str:
        return f"{self.status} {clip_words(self.reason, 60)}".strip()

    @property
    def sentence(self) -> str:
        """The one line: ``the server answered 302 Found, not 101 Switching
        Protocols; it redirects to https://...; body (20 B, text/plain): “...”``."""
        parts = [f"the server answered {self.status_text}, not 101 Switching Protocols"]
        if self.location:
            parts.append(f"it redirects to {clip_words(self.location, _FIELD_LIMIT)}")
        if self.authenticate:
            parts.append(f"it asks for authentication: {clip_words(self.authenticate, 80)}")
        if self.versions:
            parts.append(f"it supports Sec-WebSocket-Version {', '.join(self.versions)}")
        if self.body_size:
            what = ", ".join(filter(None, (format_bytes(self.body_size), self.content_type)))
            parts.append(f"body ({what})" + (f": “{self.quote}”" if self.quote else ""))
        return "; ".join(parts)
