"""``ws-inspector decode FILE --from client|server``: a byte stream, frame by frame.

The stream is parsed as the sender's peer would parse it (a client's bytes must be
masked, a server's must not), so every RFC 6455 violation is flagged. Human output
is one row per frame and a summary; ``--json`` writes capture lines (see
:func:`write_json`). Exit status 0; 1 with ``--fail-on-violation`` when a violation
was found; 2 when the stream cannot be read.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from ..capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    ViolationCaptured,
)
from ..protocol.connection import Protocol
from ..protocol.constants import DEFAULT_MAX_FRAME_SIZE, Role
from ..protocol.crafting import parse_hex
from ..protocol.events import Message
from ..protocol.frames import Frame, FrameBatch
from ..protocol.violations import Rule, Violation
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
class TerminalSafe:
    """A text stream that writes JSON with the control characters a JSON encoder leaves
    as they are (C1 controls, bidirectional overrides) as ``\\u`` escapes: the same
    values, harmless on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        # Line by line: the newlines ending the lines are the writer's, not a value's.
        return self._out.write("\n".join(escape_json_line(part) for part in text.split("\n")))

    def flush(self) -> None:
        self._out.flush()


def write_json(result: DecodeResult, sender: Role, out: TextIO) -> None:
    """The ``--json`` output: the stream as an ordinary capture (a session line, frame
    and message lines, the end line), every frame received from ``sender`` at time 0,
    so that ``ws-inspector FILE`` and every capture reader open it. A stream that ends
    inside a frame gets a violation line before the end line."""
    from ..capture.formats.jsonl import DECODE_NOTE, CaptureLineWriter

    writer = CaptureLineWriter(TerminalSafe(out))
    writer.session(
        SessionInfo(
            "", SessionRole(sender.peer.value), "", 0.0, SessionSource.DECODE, (DECODE_NOTE,)
        )
    )
    for frame, message in result.rows:
        writer.frames(FramesCaptured(0.0, Direction.IN, (frame,)))
        if message is not None:
            writer.message(MessageCaptured(0.0, Direction.IN, message))
    if result.incomplete:
        text = f"the stream ends with {result.incomplete} bytes of an incomplete frame"
        violation = Violation(Rule.INCOMPLETE_FRAME, text, result.incomplete_offset)
        writer.event(ViolationCaptured(0.0, Direction.IN, violation))
    writer.end()


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
        write_json(result, Role(ns.sender), sys.stdout)
    else:
        write_text(result, sys.stdout)
    return 1 if ns.fail_on_violation and result.violations else 0
