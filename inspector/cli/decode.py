"""``ws-inspector decode FILE --from client|server``: a byte stream, frame by frame.

The stream is parsed as the sender's peer would parse it (a client's bytes must be
masked, a server's must not), so every RFC 6455 violation is flagged. Human output
is one row per frame and a summary; ``--json`` writes capture lines (see
:func:`write_json`). Exit status 0; 1 with ``--fail-on-violation`` when a violation
was found; 2 when the stream cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from ..protocol.connection import Protocol
from ..protocol.constants import DEFAULT_MAX_FRAME_SIZE, Role
from ..protocol.crafting import parse_hex
from ..protocol.events import Message
from ..protocol.frames import Frame, FrameBatch
from ..views.text import escape_json_line, format_bytes
from .options import add_logging_options
from .render import format_frame, format_message

__all__ = ["DecodeResult", "decode_stream", "read_stream", "register", "run", "write_json"]


def register(commands: Any) -> None:
    p = commands.add_parser(
        "decode",
        help="decode a raw WebSocket byte stream into frames",
        description="Decode a byte stream as one side sent it: one row per frame, with "
        "every field and every RFC 6455 violation. Exit status 0; 1 with "
        "--fail-on-violation when a violation was found; 2 when the stream cannot be read.",
    )
    p.add_argument("file", help="the stream: raw bytes, or hex text with --hex ('-' = stdin)")
    p.add_argument(
        "--from",
        dest="sender",
        choices=("client", "server"),
        required=True,
        help="who sent these bytes (clients must mask, servers must not)",
    )
    p.add_argument(
        "--hex",
        action="store_true",
        help="the file is hex text (white space and #-comments ignored)",
    )
    p.add_argument(
        "--deflate",
        action="store_true",
        help="permessage-deflate was negotiated (RSV1 = compressed)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line (capture lines)")
    p.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 when any violation was found (an incomplete frame at the end counts)",
    )
    p.add_argument(
        "--max-frame-size",
        type=int,
        default=DEFAULT_MAX_FRAME_SIZE,
        metavar="BYTES",
        help="frames declaring more are a violation "
        f"(default {format_bytes(DEFAULT_MAX_FRAME_SIZE)})",
    )
    add_logging_options(p)
    p.set_defaults(run=run)


_COMMENT = re.compile(r"#[^\n]*")


def read_stream(path: str, as_hex: bool) -> bytes:
    if path == "-":
        raw = sys.stdin.buffer.read()
    else:
        with open(path, "rb") as f:
            raw = f.read()
    if not as_hex:
        return raw
    text = raw.decode("ascii", "replace")
    # Comments become spaces, so that a position in an error is the file's.
    digits = _COMMENT.sub(lambda m: " " * len(m.group()), text)
    try:
        return parse_hex(digits)
    except ValueError as exc:
        raise ValueError(f"{path}: not valid hex ({exc})") from None


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """A parsed stream: its frames in order, each with the message it completes."""

    rows: tuple[tuple[Frame, Message | None], ...]
    size: int
    #: Bytes of a frame the stream ends in the middle of, and where that frame starts.
    incomplete: int
    incomplete_offset: int

    @property
    def violations(self) -> int:
        return sum(len(frame.violations) for frame, _ in self.rows) + (1 if self.incomplete else 0)


def decode_stream(
    data: bytes, sender: Role, *, deflate: bool = False, max_frame_size: int | None = None
) -> DecodeResult:
    inflater = None
    if deflate:
        from ..protocol.deflate import DeflateParams, PerMessageDeflate

        inflater = PerMessageDeflate(DeflateParams(), sender.peer)
    proto = Protocol(
        sender.peer,
        max_frame_size=max_frame_size,
        deflate=inflater,
        auto_pong=False,
        auto_close=False,
    )
    proto.receive_data(data)
    proto.receive_eof()
    events = proto.events_received()
    # Each message goes right after its last frame, as a reader follows the stream.
    messages = {e.last_seq: e for e in events if isinstance(e, Message)}
    rows = tuple(
        (frame, messages.get(frame.seq))
        for event in events
        if isinstance(event, FrameBatch)
        for frame in event
    )
    incomplete = proto.incomplete_bytes
    return DecodeResult(rows, len(data), incomplete, proto.bytes_received - incomplete)


# ------------------------------------------------------------------------ output
def message_json(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "opcode": message.opcode,
        "first_seq": message.first_seq,
        "last_seq": message.last_seq,
        "size": len(message.data),
        "wire_size": message.wire_size,
        "compressed": message.compressed,
        "truncated": message.truncated,
        "text": message.text,
        "data_b64": base64.b64encode(message.data).decode("ascii")
        if message.text is None
        else None,
    }


def _json_lines(result: DecodeResult) -> Iterator[dict[str, Any]]:
    for frame, message in result.rows:
        yield frame.to_json()
        if message is not None:
            yield message_json(message)
    if result.incomplete:
        yield {
            "type": "truncated",
            "offset": result.incomplete_offset,
            "incomplete_bytes": result.incomplete,
            "message": f"the stream ends with {result.incomplete} bytes of an incomplete frame",
        }


def write_json(result: DecodeResult, out: TextIO) -> None:
    """The ``--json`` output, the one place it is written: frame lines as
    :meth:`Frame.to_json` makes them (no ``t``, no ``dir``: a raw stream has
    neither), a message line after a message's last frame, and a ``truncated`` line
    when the stream ends inside a frame. (The capture writer's streaming line writer
    takes this over once it exists, so that decode output is ordinary capture lines.)"""
    for obj in _json_lines(result):
        out.write(escape_json_line(json.dumps(obj, ensure_ascii=False)) + "\n")


def write_text(result: DecodeResult, out: TextIO) -> None:
    for frame, message in result.rows:
        out.write(format_frame(frame) + "\n")
        if message is not None:
            out.write(format_message(message) + "\n")
    frame_violations = result.violations - (1 if result.incomplete else 0)
    summary = f"{len(result.rows)} frame(s), {result.size} bytes, {frame_violations} violation(s)"
    if result.incomplete:
        summary += f"; the stream ends with {result.incomplete} bytes of an incomplete frame"
    out.write(f"-- {summary}\n")


def run(ns: argparse.Namespace) -> int:
    try:
        data = read_stream(ns.file, ns.hex)
    except (OSError, ValueError) as exc:
        print(f"ws-inspector decode: {exc}", file=sys.stderr)
        return 2
    result = decode_stream(
        data, Role(ns.sender), deflate=ns.deflate, max_frame_size=ns.max_frame_size
    )
    if ns.json:
        write_json(result, sys.stdout)
    else:
        write_text(result, sys.stdout)
    return 1 if ns.fail_on_violation and result.violations else 0
