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
whole); a pipe is decoded as its bytes come, the output flushed while it waits.
Exit status 0; 1 with ``--fail-on-violation`` when a violation was found; 2 when the
stream cannot be read or a view is not known.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, TextIO
from typing import Protocol as TypingProtocol

from ..capture.budget import is_plain_message
from ..capture.events import (
    Direction,
    FramesCaptured,
    MessageCaptured,
    SessionInfo,
    SessionRole,
    SessionSource,
    ViolationCaptured,
)
from ..capture.store import CaptureStore
from ..protocol.connection import Protocol
from ..protocol.constants import DEFAULT_MAX_FRAME_SIZE, Role
from ..protocol.crafting import parse_hex
from ..protocol.events import Message
from ..protocol.frames import Frame, FrameBatch
from ..protocol.violations import Rule, Violation
from ..views.conversation import sender_of
from ..views.text import escape_json_line, format_bytes
from .options import add_logging_options
from .render import (
    VIEW_HELP,
    PayloadRenderer,
    ViewFields,
    message_lines,
    row_lines,
)

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

#: Bytes read and parsed at a time (a piece's frames and lines are held at once).
CHUNK = 256 * 1024


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
        help=VIEW_HELP,
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


def file_chunks(
    f: BinaryIO, size: int = CHUNK, before_wait: Callable[[], object] | None = None
) -> Iterator[bytes]:
    """``f`` read in chunks of at most ``size`` bytes, then closed (standard input is
    left open). A pipe or terminal gives what has arrived rather than waiting for a
    whole chunk, and ``before_wait`` (the output's flush) is called before a read
    that would wait, so that a reader downstream sees every frame that came in."""
    read = f.read
    waits = None
    if not _regular_file(f):
        read = getattr(f, "read1", read)
        waits = _would_wait if before_wait is not None else None
    try:
        while True:
            if waits is not None and before_wait is not None and waits(f):
                before_wait()
            chunk = read(size)
            if not chunk:
                break
            yield chunk
    finally:
        if f is not sys.stdin.buffer:
            f.close()


def _regular_file(f: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(f.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor (a BytesIO): no pipe
        return True


def _would_wait(f: BinaryIO) -> bool:
    """Whether reading ``f`` now would wait for its writer (unknown: yes)."""
    # (read1 leaves nothing in the reader's buffer: the descriptor says it all.)
    try:
        ready, _, _ = select.select([f], [], [], 0)
    except (OSError, ValueError, TypeError):  # select cannot wait on it (Windows pipes)
        return True
    return not ready


Row = tuple[Frame, Message | None]
#: What one chunk of the stream completed: its frames, and the messages they end.
Piece = tuple[FrameBatch, list[Message]]


class _Decoded(TypingProtocol):
    """A decoded stream as the writers read it: its pieces once, then its totals."""

    @property
    def size(self) -> int: ...

    @property
    def incomplete(self) -> int: ...

    @property
    def incomplete_offset(self) -> int: ...

    def iter_pieces(self) -> Iterator[Piece]: ...

    @property
    def frame_violations(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """A parsed stream: its frames in order, each with the message it completes."""

    pieces: tuple[Piece, ...]
    size: int
    #: Bytes of a frame the stream ends in the middle of, and where that frame starts.
    incomplete: int
    incomplete_offset: int

    def iter_pieces(self) -> Iterator[Piece]:
        return iter(self.pieces)

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(row for piece in self.pieces for row in _rows(piece))

    @property
    def frame_violations(self) -> int:
        return sum(len(v) for batch, _ in self.pieces for v in batch.violations.values())

    @property
    def violations(self) -> int:
        return self.frame_violations + (1 if self.incomplete else 0)


def _rows(piece: Piece) -> Iterator[Row]:
    batch, messages = piece
    ending = {m.last_seq: m for m in messages}
    for frame in batch:
        yield frame, ending.get(frame.seq)


class DecodeStream:
    """A stream decoded as its chunks come: :meth:`iter_pieces` yields what each chunk
    completed and forgets it (memory is bounded by the largest frame and a chunk's
    frames); the totals are whole once the pieces are read."""

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
        # A message that is one plain frame is left out of the output (its frame
        # says everything): not made at all, a million objects fewer.
        self._proto.record_plain_messages = False
        self._chunks = chunks
        self.size = 0
        self.frames = 0
        self.frame_violations = 0
        self.incomplete = 0
        self.incomplete_offset = 0

    def iter_pieces(self) -> Iterator[Piece]:
        proto = self._proto
        for chunk in self._chunks:
            self.size += len(chunk)
            proto.receive_data(chunk)
            yield from self._pieces(proto.events_received())
        proto.receive_eof()
        yield from self._pieces(proto.events_received())
        self.incomplete = proto.incomplete_bytes
        self.incomplete_offset = proto.bytes_received - self.incomplete

    def iter_rows(self) -> Iterator[Row]:
        """Each frame with the message it completes (None: it completes none)."""
        for piece in self.iter_pieces():
            yield from _rows(piece)

    def _pieces(self, events: list[Any]) -> Iterator[Piece]:
        batch: FrameBatch | None = None
        messages: list[Message] = []
        for event in events:
            if isinstance(event, FrameBatch):
                if batch is not None:
                    yield batch, messages
                    messages = []
                batch = event
                self.frames += len(event)
                for found in event.violations.values():
                    self.frame_violations += len(found)
            elif isinstance(event, Message) and not is_plain_message(event):
                messages.append(event)  # a message of one plain frame: its frame says all
        if batch is not None:
            yield batch, messages

    @property
    def violations(self) -> int:
        return self.frame_violations + (1 if self.incomplete else 0)


def decode_stream(
    data: bytes, sender: Role, *, deflate: bool = False, max_frame_size: int | None = None
) -> DecodeResult:
    """``data`` decoded whole (for tests and small inputs; the command streams)."""
    stream = DecodeStream([data], sender, deflate=deflate, max_frame_size=max_frame_size)
    pieces = tuple(stream.iter_pieces())
    return DecodeResult(pieces, stream.size, stream.incomplete, stream.incomplete_offset)


# ------------------------------------------------------------------------ output
class TerminalSafe:
    """A text stream that writes JSON with the control characters a JSON encoder leaves
    as they are (C1 controls, bidirectional overrides) as ``\\u`` escapes: the same
    values, harmless on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        if text.isascii():
            # JSON encoders escape C0 controls; the rest is not ASCII: nothing to do.
            return self._out.write(text)
        # Line by line: the newlines ending the lines are the writer's, not a value's.
        return self._out.write("\n".join(escape_json_line(part) for part in text.split("\n")))

    def flush(self) -> None:
        self._out.flush()


def _session(sender: Role) -> SessionInfo:
    from ..capture.formats.jsonl import DECODE_NOTE

    # Recorded by the sender's peer: every frame came in from the sender.
    role = SessionRole(sender.peer.value)
    return SessionInfo("", role, "", 0.0, SessionSource.DECODE, (DECODE_NOTE,))


def _store(session: SessionInfo, piece: Piece) -> CaptureStore:
    """A store of one piece's frames and messages (the frames' seq and offsets are the
    stream's), read through its columns as a capture is."""
    store = CaptureStore(session, max_payload_bytes=None)
    batch, messages = piece
    store.add(FramesCaptured(0.0, Direction.IN, batch))
    for message in messages:
        store.add(MessageCaptured(0.0, Direction.IN, message))
    return store


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
    from ..capture.formats.jsonl.write import end_line, event_line, iter_lines, session_line

    renderer = renderer if renderer is not None else PayloadRenderer()
    safe = TerminalSafe(out)
    fields = ViewFields(renderer)
    session = _session(sender)
    safe.write(session_line(session) + "\n")
    frames = events = 0
    for piece in result.iter_pieces():
        store = _store(session, piece)
        lines = list(iter_lines(store, fields))
        del lines[0], lines[-1]  # the piece's own session and end lines
        frames += len(store)
        events += len(store.messages)
        lines.append("")
        safe.write("\n".join(lines))
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
    sender: Role = Role.SERVER,
) -> None:
    """One row per frame, ending with its payload's summary; a message of several
    frames (or compressed) gets its own line; a payload an application view decodes
    is followed by its rendered text. Then the stream's summary."""
    renderer = renderer if renderer is not None else PayloadRenderer()
    session = _session(sender)
    write = out.write
    frames = 0
    for piece in result.iter_pieces():
        store = _store(session, piece)
        lines = row_lines(renderer, store)
        role = store.session.role
        for row, captured in store.messages.items():
            sender = sender_of(role, store.direction(row))
            lines[row] = "\n".join([lines[row], *message_lines(renderer, captured.message, sender)])
        frames += len(store)
        lines.append("")
        write("\n".join(lines))
    summary = f"{frames} frame(s), {result.size} bytes, {result.frame_violations} violation(s)"
    if result.incomplete:
        summary += f"; the stream ends with {result.incomplete} bytes of an incomplete frame"
    write(f"-- {summary}\n")


def run(ns: argparse.Namespace) -> int:
    try:
        renderer = PayloadRenderer(view=ns.view, subprotocol=ns.subprotocol)
    except KeyError as exc:
        print(f"ws-inspector decode: --view: {exc.args[0]}", file=sys.stderr)
        return 2
    sender = Role(ns.sender)
    # Opened (and hex parsed) before anything is written: an input that cannot be
    # read gives no output, only the error.
    try:
        chunks: Iterable[bytes] = (
            [read_stream(ns.file, True)]
            if ns.hex
            else file_chunks(_open_input(ns.file), before_wait=sys.stdout.flush)
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
