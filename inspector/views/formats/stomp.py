"""STOMP 1.0-1.2 (command, headers, body; heart-beats), also inside SockJS frames.

A STOMP frame is a command line, ``name:value`` header lines, an empty line, the body
and a NUL byte; a lone end of line is a heart-beat. SockJS wraps messages: the server
sends ``o`` (open), ``h`` (heartbeat), ``a["...", ...]`` (messages, a JSON array of
strings) and ``c[code,"reason"]`` (close); the client sends ``["...", ...]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from ..base import PayloadMeta, Rendered, Syntax, TreeNode, View, ViewError
from ..registry import Registry
from ..text import escape_control, format_bytes, shorten
from .nested import inner

__all__ = ["StompFrame", "StompView", "encode_frame", "parse_frames", "register"]

COMMANDS = frozenset(
    b"CONNECT STOMP CONNECTED SEND SUBSCRIBE UNSUBSCRIBE ACK NACK BEGIN COMMIT ABORT "
    b"DISCONNECT MESSAGE RECEIPT ERROR".split()
)
SUBPROTOCOLS = frozenset({"v10.stomp", "v11.stomp", "v12.stomp", "stomp"})
_COMMAND_LINE = re.compile(rb"([A-Z]{3,11})\r?\n")
_SOCKJS_ARRAY = re.compile(rb'a?\[\s*"')
# STOMP 1.2 header escapes (not applied in CONNECT and CONNECTED frames).
_ESCAPES = {"\\r": "\r", "\\n": "\n", "\\c": ":", "\\\\": "\\"}
_ESCAPE = re.compile(r"\\.")


@dataclass(frozen=True, slots=True)
class StompFrame:
    """One STOMP frame; ``command`` None for a heart-beat."""

    command: str | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        # STOMP 1.2: when a header is repeated, the first one counts.
        for key, value in self.headers:
            if key == name:
                return value
        return None


_ESCAPED = {v: k for k, v in _ESCAPES.items()}
_TO_ESCAPE = re.compile(r"[\r\n:\\]")


def _escape(value: str) -> str:
    return _TO_ESCAPE.sub(lambda m: _ESCAPED[m.group()], value)


def encode_frame(
    command: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    content_length: bool = True,
) -> bytes:
    """One STOMP 1.2 frame: the command line, the headers (escaped, except in CONNECT
    and CONNECTED frames, where a header cannot hold an end of line or a ':' in its
    name), a ``content-length`` for a body unless one is given or ``content_length`` is
    off, the body and NUL. ``ValueError`` says what cannot be written."""
    if not command.isascii() or not command.isalpha():
        raise ValueError(f"a STOMP command is letters: {command!r}")
    escaped = command not in ("CONNECT", "CONNECTED")
    lines = [command]
    for name, value in headers:
        if not name:
            raise ValueError("a header needs a name")
        if escaped:
            name, value = _escape(name), _escape(value)
        elif ":" in name or any(c in name + value for c in "\r\n"):
            raise ValueError(
                f"a {command} frame's headers are not escaped: {name!r} cannot be sent"
            )
        lines.append(f"{name}:{value}")
    given = any(name == "content-length" for name, _ in headers)
    if body and content_length and not given:
        lines.append(f"content-length:{len(body)}")
    return "\n".join(lines).encode("utf-8") + b"\n\n" + body + b"\0"


def _unescape(value: str, at: int) -> str:
    def one(m: re.Match[str]) -> str:
        try:
            return _ESCAPES[m.group()]
        except KeyError:
            raise ViewError(f"the header escape {m.group()!r} is undefined", at) from None

    return _ESCAPE.sub(one, value)


def _one_frame(data: bytes, pos: int) -> tuple[StompFrame, int]:
    m = _COMMAND_LINE.match(data, pos)
    if m is None or m.group(1) not in COMMANDS:
        end = data.find(b"\n", pos)
        shown = data[pos : end if end >= 0 else pos + 20][:20]
        raise ViewError(f"{shown!r} is not a STOMP command", pos)
    command = m.group(1).decode("ascii")
    escaped = command not in ("CONNECT", "CONNECTED")
    pos = m.end()
    headers: list[tuple[str, str]] = []
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            raise ViewError("the data ends inside the headers", len(data))
        line = data[pos:end].removesuffix(b"\r")
        if not line:
            pos = end + 1
            break
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ViewError("a header is not UTF-8", pos + exc.start) from None
        name, colon, value = text.partition(":")
        if not colon:
            raise ViewError("a header line without ':'", pos)
        if escaped:
            name, value = _unescape(name, pos), _unescape(value, pos)
        headers.append((name, value))
        pos = end + 1
    frame = StompFrame(command, tuple(headers))
    length = frame.header("content-length")
    if length is not None:
        if not length.isdigit():
            raise ViewError(f"content-length {length!r} is not a number", pos)
        stop = pos + int(length)
        if stop >= len(data):
            raise ViewError(f"the body is shorter than its content-length {length}", len(data))
        if data[stop] != 0:
            raise ViewError("no NUL after the content-length's bytes", stop)
    else:
        stop = data.find(b"\0", pos)
        if stop < 0:
            raise ViewError("the frame does not end with NUL", len(data))
    return StompFrame(command, frame.headers, data[pos:stop]), stop + 1


def parse_frames(data: bytes) -> list[StompFrame]:
    """The STOMP frames (and heart-beats) in one message."""
    frames: list[StompFrame] = []
    pos, n = 0, len(data)
    while pos < n:
        if data.startswith(b"\r\n", pos) or data.startswith(b"\n", pos):
            # End-of-lines between frames are heart-beats; after a frame, padding.
            if not frames or frames[-1].command is None:
                frames.append(StompFrame(None))
            pos += 2 if data[pos] == 0x0D else 1
            continue
        frame, pos = _one_frame(data, pos)
        frames.append(frame)
    return frames


# ------------------------------------------------------------------ SockJS
@dataclass(frozen=True, slots=True)
class SockJS:
    """A SockJS frame: ``kind`` o, h, a (messages), c (close) or "" (client array)."""

    kind: str
    messages: tuple[str, ...] = ()
    close: tuple[int, str] | None = None


def parse_sockjs(data: bytes) -> SockJS | None:
    """``data`` as a SockJS frame, None when it is not one."""
    if data in (b"o", b"h"):
        return SockJS(data.decode())
    if data[:1] not in (b"a", b"c", b"["):
        return None
    kind = "" if data[:1] == b"[" else data[:1].decode()
    try:
        value = json.loads(data[len(kind) :])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if kind == "c":
        if isinstance(value, list) and len(value) == 2 and isinstance(value[0], int):
            return SockJS("c", close=(value[0], str(value[1])))
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return SockJS(kind, tuple(value))
    return None


def _stomp_like(data: bytes) -> bool:
    m = _COMMAND_LINE.match(data)
    return m is not None and m.group(1) in COMMANDS


def _sockjs_prefix_kind(head: bytes) -> str | None:
    """What a (possibly cut) SockJS frame is from its start, for priorities."""
    if head in (b"o", b"h"):
        return head.decode()
    if head.startswith(b"c["):
        return "c"
    if _SOCKJS_ARRAY.match(head):
        return "a"
    return None


# ------------------------------------------------------------------- view
def _frame_line(frame: StompFrame, body_size: int | None = None) -> str:
    if frame.command is None:
        return "STOMP heart-beat"
    parts = ["STOMP", frame.command]
    for key, shown in (
        ("destination", None),
        ("subscription", "sub"),
        ("id", "id"),
        ("receipt", "receipt"),
        ("receipt-id", "receipt"),
        ("message-id", "msg"),
        ("version", "version"),
        ("host", "host"),
        ("heart-beat", "heart-beat"),
        ("message", None),
    ):
        value = frame.header(key)
        if value is None:
            continue
        value = escape_control(shorten(value, 80))
        if key == "message":
            value = json.dumps(value, ensure_ascii=False)
        parts.append(value if shown is None else f"{shown}={value}")
    size = len(frame.body) if body_size is None else body_size
    if size or frame.command in ("SEND", "MESSAGE"):
        parts.append(format_bytes(size))
    return " ".join(parts)


def _frame_text(frame: StompFrame) -> tuple[str, Callable[[], TreeNode]]:
    """The frame's text, and how to build its tree (only the window's tree asks)."""
    command = frame.command
    if command is None:
        return "heart-beat", lambda: TreeNode("heart-beat")
    lines = [command] + [f"{k}: {v}" for k, v in frame.headers]
    body = inner(frame.body) if frame.body else None
    if body is not None:
        lines += ["", body.text]

    def build() -> TreeNode:
        headers = tuple(TreeNode(k, v, (), "header") for k, v in frame.headers)
        children = [TreeNode("headers", str(len(headers)), headers)]
        if body is not None:
            node = body.tree or TreeNode("", format_bytes(len(frame.body)))
            children.append(TreeNode("body", node.value, node.children, body.view))
        return TreeNode(command, "", tuple(children), "STOMP")

    return "\n".join(lines), build


def _frames_fields(frames: list[StompFrame]) -> dict[str, str]:
    for frame in frames:
        if frame.command is None:
            continue
        fields = {"command": frame.command}
        for key in ("destination", "subscription"):
            value = frame.header(key)
            if value is not None:
                fields[key] = value
        return fields
    return {}


class StompView(View):
    name = "stomp"
    title = "STOMP"
    text_starts = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\nohca[")
    binary_starts = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")  # a bare frame's command
    top_priority = 0.9

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode not in (1, 2):
            return -1
        negotiated = meta.subprotocol in SUBPROTOCOLS
        head = data[:64]
        if negotiated:
            return 1.8
        if _stomp_like(head):
            return 0.9
        if head in (b"\n", b"\r\n") and meta.opcode == 1:
            return 0.55
        kind = _sockjs_prefix_kind(head)
        if kind is None or meta.opcode != 1:
            return -1
        if kind == "a":
            # Messages that are STOMP frames: the SockJS array's first string begins
            # with a command (JSON writes its newline as \n).
            start = head.find(b'"') + 1
            word = re.match(rb"([A-Z]{3,11})\\n", head[start:])
            return 0.9 if word and word.group(1) in COMMANDS else 0.6
        return 0.6

    def _decode(self, data: bytes) -> tuple[SockJS | None, list[list[StompFrame] | str]]:
        """The SockJS frame (None: bare STOMP) and, per message, its STOMP frames or,
        for a SockJS message that is not STOMP, its text."""
        sockjs = None if _stomp_like(data[:16]) else parse_sockjs(data)
        if sockjs is None:
            return None, [parse_frames(data)]
        groups: list[list[StompFrame] | str] = []
        for i, message in enumerate(sockjs.messages):
            raw = message.encode("utf-8")
            if not _stomp_like(raw[:16]) and raw.strip(b"\r\n"):
                groups.append(message)
                continue
            try:
                groups.append(parse_frames(raw))
            except ViewError as exc:
                raise ViewError(f"SockJS message {i + 1}: {exc}", exc.offset) from None
        return sockjs, groups

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        sockjs, groups = self._decode(data)
        texts: list[str] = []
        nodes: list[Callable[[], TreeNode]] = []
        if sockjs is not None:
            texts.append(_sockjs_line(sockjs))
        for group in groups:
            if isinstance(group, str):
                shown = inner(group.encode("utf-8"), text=True)
                texts.append(shown.text)
                nodes.append(partial(TreeNode, "message", shorten(group, 80), (), shown.view))
                continue
            for frame in group:
                text, node = _frame_text(frame)
                texts.append(text)
                nodes.append(node)

        def build() -> TreeNode:
            built = [node() for node in nodes]
            return (
                built[0] if len(built) == 1 and sockjs is None else TreeNode("", "", tuple(built))
            )

        fields = _frames_fields(_stomp_frames(groups))
        return Rendered(self.name, "\n\n".join(texts), Syntax.KEY_VALUE, build, fields=fields)

    def fields(self, data: bytes, meta: PayloadMeta) -> dict[str, str]:
        _, groups = self._decode(data)
        return _frames_fields(_stomp_frames(groups))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        cut = meta.size is not None and meta.size > len(prefix)
        if _stomp_like(prefix[:16]) or prefix in (b"\n", b"\r\n"):
            body_size = None
            try:
                frames = parse_frames(prefix)
            except ViewError:
                frames, body_start = _head_only(prefix)
                if frames and meta.size is not None:
                    body_size = max(meta.size - body_start - 1, 0)
            if not frames:
                return None
            more = f" +{len(frames) - 1}" if len(frames) > 1 else ""
            return _frame_line(frames[0], body_size) + more
        sockjs = parse_sockjs(prefix)
        if sockjs is None:
            return "SockJS \u2026" if cut else None
        line = _sockjs_line(sockjs)
        if sockjs.messages:
            try:
                frames = parse_frames(sockjs.messages[0].encode("utf-8"))
            except ViewError:
                frames = []
            if frames:
                line += ": " + _frame_line(frames[0])
        return line


def _stomp_frames(groups: list[list[StompFrame] | str]) -> list[StompFrame]:
    return [f for group in groups if not isinstance(group, str) for f in group]


def _head_only(prefix: bytes) -> tuple[list[StompFrame], int]:
    """A frame's command and headers from a prefix that cuts its body, and where its
    body begins."""
    for blank in (b"\n\n", b"\r\n\r\n"):
        end = prefix.find(blank)
        if end >= 0:
            start = end + len(blank)
            try:
                return parse_frames(prefix[:start] + b"\0")[:1], start
            except ViewError:
                return [], 0
    return [], 0


def _sockjs_line(sockjs: SockJS) -> str:
    if sockjs.kind == "o":
        return "SockJS open"
    if sockjs.kind == "h":
        return "SockJS heartbeat"
    if sockjs.close is not None:
        code, reason = sockjs.close
        return f"SockJS close {code} {escape_control(json.dumps(shorten(reason, 80)))}"
    n = len(sockjs.messages)
    return f"SockJS {n} message{'s' if n != 1 else ''}"


def register(registry: Registry) -> None:
    registry.add(StompView())
