"""A capture file as lines: read in blocks, split in C, never more than a line's limit
held for one line; and the words for what a line that is not a capture line is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

__all__ = [
    "BLOCK",
    "CUT",
    "ENDED",
    "LAST",
    "LINES",
    "TOO_LONG",
    "UNDECODABLE",
    "newline",
    "split_chunks",
]

# How split_chunks says a piece ended.
ENDED: Final = 0  # one line, with a newline
LAST: Final = 1  # one line, with the end of the file (a final line with no newline)
TOO_LONG: Final = 2  # it did not end within the limit; only its start is given
UNDECODABLE: Final = 3  # the text stream could not decode it; the line says why
LINES: Final = 4  # whole lines (one or more), joined by their newlines, the last one's left off
CUT: Final = 4096  # how much of a line too long is given
BLOCK: Final = 2**20


def newline(piece: bytes | str) -> Any:
    """The newline of ``piece``'s type (``b"\\n"`` or ``"\\n"``)."""
    return b"\n" if isinstance(piece, bytes) else "\n"


def split_chunks(
    read: Callable[[int], bytes | str], first_limit: int, limit: int
) -> Iterator[tuple[Any, int]]:
    """A stream in pieces, as ``(piece, how_it_ended)``: the first line alone, then
    the whole lines of each block together (``LINES``: a reader splits them, or
    reads them in bulk, in C), a line that spans blocks alone (``ENDED``).

    Reads 1 MiB blocks (``readline`` costs ~1.5 us a line, five times more than a
    split; a Python step per line costs the same again). A line that grows past its
    limit (``first_limit`` for the first line, ``limit`` after it) ends the
    iteration with ``TOO_LONG`` and its first 4 KiB, so no more than the limit plus
    one block is ever held for it.
    """
    pending: list[Any] = []  # pieces of a line that spans blocks
    pending_len = 0
    cap = first_limit
    first = True
    nl: Any = None
    join: Any = None
    while True:
        try:
            block = read(BLOCK)
        except UnicodeDecodeError as exc:
            # A text stream whose encoding does not fit the file: report it as a
            # line that cannot be read rather than let the codec's error escape.
            yield f"not {exc.encoding} text ({exc.reason})", UNDECODABLE
            return
        if not block:
            if pending:
                yield join(pending), LAST
            return
        if nl is None:
            nl = newline(block)
            join = b"".join if isinstance(block, bytes) else "".join
        end = block.rfind(nl)
        start = 0
        if end >= 0 and (pending or first):
            # The line that ends first is yielded alone: the first line (the
            # session line, read on its own) or the end of one that spans blocks.
            start = block.find(nl) + 1
            line = block[: start - 1]
            if pending:
                pending.append(line)
                line = join(pending)
                pending = []
                pending_len = 0
            if len(line) > cap:
                yield line[:CUT], TOO_LONG
                return
            yield line, ENDED
            first = False
            cap = limit
        if start <= end:
            lines = block[start:end]
            if len(lines) <= cap:  # no line in it can be too long
                yield lines, LINES
            else:
                for line in lines.split(nl):
                    if len(line) > cap:
                        yield line[:CUT], TOO_LONG
                        return
                    yield line, ENDED
        tail = block[end + 1 :]
        if tail:
            pending.append(tail)
            pending_len += len(tail)
            if pending_len > cap:
                yield join(pending)[:CUT], TOO_LONG
                return


def is_utf8(line: bytes | str) -> bool:
    if isinstance(line, str):
        return True
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def binary_hint(line: bytes | str) -> str:
    """`` (it holds binary data)`` and the like, for a line that is not JSON."""
    if isinstance(line, bytes):
        if b"\x00" in line:
            return " (it holds binary data)"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f" (it is not UTF-8 text: byte {exc.start})"
    elif "\x00" in line:
        return " (it holds binary data)"
    return ""


HAR_HINT: Final = (
    " (it looks like a HAR file or another JSON document: HAR files are opened as HAR, "
    "for example with 'ws-inspector convert FILE.har FILE.jsonl')"
)


def json_document_hint(line: bytes | str) -> str:
    """A hint for a first line that is not JSON but starts a JSON document (a
    pretty-printed HAR file starts with a lone brace)."""
    head = line.strip()[:6]
    if isinstance(head, bytes):
        head = head.decode("ascii", "replace")
    return HAR_HINT if head in ("{", '{"log"') else ""
