"""``ws-inspector decode FILE --from client|server``: a byte stream, frame by frame.

The stream is parsed as the sender's peer would parse it (a client's bytes must be
masked, a server's must not), so every RFC 6455 violation is flagged. Human output
is one row per frame, ending with the payload's summary by the payload view registry
(and, for a payload an application view decodes, its rendered text), then a summary
of the stream; ``--json`` writes capture lines (see :func:`write_json`) whose
payload-carrying lines say the view and its text. ``--view NAME`` forces a view,
``--subprotocol NAME`` says what the handshake negotiated.

The input is read and decoded in chunks (:class:`DecodeStream`): memory is bounded by
the largest frame, not by the stream (hex input, meant for hand-made streams, is read
whole). Exit status 0; 1 with ``--fail-on-violation`` when a violation was found; 2
when the stream cannot be read or a view is not known.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO
from typing import Protocol as TypingProtocol

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
from ..views.registry import default_registry
from ..views.text import escape_json_line, format_bytes
from .options import add_logging_options
from .render import PayloadRenderer, format_frame, format_message

__all__ = [
    "CHUNK",
    "DecodeResult",
    "DecodeStream",
    "decode_stream",
    "file_chunks",
    "read_stream",
    "register",
    "run",
    "write_json",
    "write_text",
]

#: Bytes read and parsed at a time.
CHUNK = 1 << 20


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
    p.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line (capture lines; a whole payload\'s line has "view" and '
        '"rendered")',
    )
    p.add_argument(
        "--view",
        metavar="NAME",
        help="show payloads with this view where it can read them "
        f"({', '.join(default_registry().names())}...)",
    )
    p.add_argument(
        "--subprotocol",
        metavar="NAME",
        help="the subprotocol the handshake negotiated (mqtt, v12.stomp, graphql-ws...): "
        "a raw stream does not say, and it chooses the payload views",
    )
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


def _open_input(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")


def _hex_bytes(raw: bytes, path: str) -> bytes:
    text = raw.decode("ascii", "replace")
    # Comments become spaces, so that a position in an error is the file's.
    digits = _COMMENT.sub(lambda m: " " * len(m.group()), text)
    try:
        return parse_hex(digits)
    except ValueError as exc:
        raise ValueError(f"{path}: not valid hex ({exc})") from None


def read_stream(path: str, as_hex: bool) -> bytes:
    """The whole stream at ``path`` (``-``: standard input), hex text made bytes."""
    f = _open_input(path)
    try:
        raw = f.read()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    return _hex_bytes(raw, path) if as_hex else raw


def file_chunks(f: BinaryIO, size: int = CHUNK) -> Iterator[bytes]:
    """``f`` read in chunks of ``size`` bytes, then closed (standard input is left
    open)."""
    try:
        while chunk := f.read(size):
            yield chunk
    finally:
        if f is not sys.stdin.buffer:
            f.close()


Row = tuple[Frame, Message | None]


class _Decoded(TypingProtocol):
    """A decoded stream as the writers read it: its rows once, then its totals."""

    @property
    def size(self) -> int: ...

    @property
    def incomplete(self) -> int: ...

    @property
    def incomplete_offset(self) -> int: ...

    def iter_rows(self) -> Iterator[Row]: ...

    @property
    def frame_violations(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """A parsed stream: its frames in order, each with the message it completes."""

    rows: tuple[Row, ...]
    size: int
    #: Bytes of a frame the stream ends in the middle of, and where that frame starts.
    incomplete: int
    incomplete_offset: int

    def iter_rows(self) -> Iterator[Row]:
        return iter(self.rows)

    @property
    def frame_violations(self) -> int:
        return sum(len(frame.violations) for frame, _ in self.rows)

    @property
    def violations(self) -> int:
        return self.frame_violations + (1 if self.incomplete else 0)


class DecodeStream:
    """A stream decoded as its chunks come: :meth:`iter_rows` yields each frame with
    the message it completes, and forgets them (memory is bounded by the largest
    frame); the totals are whole once the rows are read."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        sender: Role,
        *,
        deflate: bool = False,
        max_frame_size: int | None = None,
    ) -> None:
        inflater = None
        if deflate:
            from ..protocol.deflate import DeflateParams, PerMessageDeflate

            inflater = PerMessageDeflate(DeflateParams(), sender.peer)
        self._proto = Protocol(
            sender.peer,
            max_frame_size=max_frame_size,
            deflate=inflater,
            auto_pong=False,
            auto_close=False,
        )
        self._chunks = chunks
        self.size = 0
        self.frames = 0
        self.frame_violations = 0
        self.incomplete = 0
        self.incomplete_offset = 0

    def iter_rows(self) -> Iterator[Row]:
        proto = self._proto
        for chunk in self._chunks:
            self.size += len(chunk)
            proto.receive_data(chunk)
            yield from self._rows(proto.events_received())
        proto.receive_eof()
        yield from self._rows(proto.events_received())
        self.incomplete = proto.incomplete_bytes
        self.incomplete_offset = proto.bytes_received - self.incomplete

    def _rows(self, events: list[Any]) -> Iterator[Row]:
        # Each message goes right after its last frame, as a reader follows the stream.
        messages = {e.last_seq: e for e in events if isinstance(e, Message)}
        for event in events:
            if isinstance(event, FrameBatch):
                self.frames += len(event)
                for frame in event:
                    if frame.violations:
                        self.frame_violations += len(frame.violations)
                    yield frame, messages.get(frame.seq) if messages else None

    @property
    def violations(self) -> int:
        return self.frame_violations + (1 if self.incomplete else 0)


def decode_stream(
    data: bytes, sender: Role, *, deflate: bool = False, max_frame_size: int | None = None
) -> DecodeResult:
    """``data`` decoded whole (for tests and small inputs; the command streams)."""
    stream = DecodeStream([data], sender, deflate=deflate, max_frame_size=max_frame_size)
    rows = tuple(stream.iter_rows())
    return DecodeResult(rows, stream.size, stream.incomplete, stream.incomplete_offset)


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


#: Frame lines assembled per write (a batch of rows shares one scratch store).
_BATCH = 4096


def write_json(
    result: _Decoded, sender: Role, out: TextIO, renderer: PayloadRenderer | None = None
) -> None:
    """The ``--json`` output: the stream as an ordinary capture (a session line, frame
    and message lines, the end line), every frame received from ``sender`` at time 0,
    so that ``ws-inspector FILE`` and every capture reader open it. The line that
    holds a whole payload (a control frame's or a one-frame message's frame line, a
    reassembled message's line) also has ``"view"`` and ``"rendered"``: the payload
    view chosen and its text. A stream that ends inside a frame gets a violation line
    before the end line."""
    from ..capture.budget import is_plain_message
    from ..capture.formats.jsonl import DECODE_NOTE
    from ..capture.formats.jsonl.write import end_line, event_line, frame_lines, session_line

    renderer = renderer if renderer is not None else PayloadRenderer(deflate=False)
    safe = TerminalSafe(out)
    info = SessionInfo(
        "", SessionRole(sender.peer.value), "", 0.0, SessionSource.DECODE, (DECODE_NOTE,)
    )
    safe.write(session_line(info) + "\n")
    frames = events = 0
    rows = result.iter_rows()
    while True:
        batch = [row for _, row in zip(range(_BATCH), rows, strict=False)]
        if not batch:
            break
        lines = frame_lines(FramesCaptured(0.0, Direction.IN, [frame for frame, _ in batch]))
        chunk: list[str] = []
        for (frame, message), line in zip(batch, lines, strict=True):
            meta, whole = renderer.frame_payload(frame, sender)
            if whole:
                line = line[:-1] + renderer.json_fields(frame.payload, meta) + "}"
            chunk.append(line)
            if message is not None and not is_plain_message(message):
                mline = event_line(MessageCaptured(0.0, Direction.IN, message))
                mmeta = renderer.message_meta(message, sender)
                chunk.append(mline[:-1] + renderer.json_fields(message.data, mmeta) + "}")
                events += 1
        frames += len(batch)
        chunk.append("")
        safe.write("\n".join(chunk))
    if result.incomplete:
        text = f"the stream ends with {result.incomplete} bytes of an incomplete frame"
        violation = Violation(Rule.INCOMPLETE_FRAME, text, result.incomplete_offset)
        safe.write(event_line(ViolationCaptured(0.0, Direction.IN, violation)) + "\n")
        events += 1
    safe.write(end_line(frames, events) + "\n")


def write_text(
    result: _Decoded,
    out: TextIO,
    renderer: PayloadRenderer | None = None,
    sender: Role | None = None,
) -> None:
    """One row per frame, ending with its payload's summary; a message of several
    frames (or compressed) gets its own line; a payload an application view decodes
    is followed by its rendered text. Then the stream's summary."""
    renderer = renderer if renderer is not None else PayloadRenderer(deflate=False)
    write = out.write
    buffered: list[str] = []
    frames = 0
    for frame, message in result.iter_rows():
        frames += 1
        meta, whole = renderer.frame_payload(frame, sender)
        data = frame.payload
        view = renderer.choose(data, meta)
        buffered.append(format_frame(frame, "", renderer.summary(data, meta, view)))
        if whole:
            buffered.extend(renderer.rendered_lines(data, meta, view))
        elif message is not None:
            mmeta = renderer.message_meta(message, sender)
            mview = renderer.choose(message.data, mmeta)
            summary = renderer.summary(message.data, mmeta, mview)
            buffered.append(format_message(message, "", summary))
            buffered.extend(renderer.rendered_lines(message.data, mmeta, mview))
        if len(buffered) >= _BATCH:
            buffered.append("")
            write("\n".join(buffered))
            buffered.clear()
    if buffered:
        buffered.append("")
        write("\n".join(buffered))
    summary = f"{frames} frame(s), {result.size} bytes, {result.frame_violations} violation(s)"
    if result.incomplete:
        summary += f"; the stream ends with {result.incomplete} bytes of an incomplete frame"
    write(f"-- {summary}\n")


def run(ns: argparse.Namespace) -> int:
    try:
        renderer = PayloadRenderer(view=ns.view, subprotocol=ns.subprotocol, deflate=ns.deflate)
    except KeyError as exc:
        print(f"ws-inspector decode: --view: {exc.args[0]}", file=sys.stderr)
        return 2
    sender = Role(ns.sender)
    # Opened (and hex parsed) before anything is written: an input that cannot be
    # read gives no output, only the error.
    try:
        chunks: Iterable[bytes] = (
            [read_stream(ns.file, True)] if ns.hex else file_chunks(_open_input(ns.file))
        )
    except (OSError, ValueError) as exc:
        print(f"ws-inspector decode: {exc}", file=sys.stderr)
        return 2
    stream = DecodeStream(chunks, sender, deflate=ns.deflate, max_frame_size=ns.max_frame_size)
    try:
        if ns.json:
            write_json(stream, sender, sys.stdout, renderer)
        else:
            write_text(stream, sys.stdout, renderer, sender)
    except BrokenPipeError:  # the reader has gone (| head): nothing more to say
        return 0
    except OSError as exc:  # the input failed while being read: what was read is out
        sys.stdout.flush()
        print(f"ws-inspector decode: {exc}", file=sys.stderr)
        return 2
    return 1 if ns.fail_on_violation and stream.violations else 0
