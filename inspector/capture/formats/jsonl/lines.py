"""A capture file as lines: read in blocks, split in C, never more than a line's limit
held for one line; and the words for what a line that is not a capture line is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

__all__ = ["BLOCK", "CUT", "ENDED", "LAST", "TOO_LONG", "UNDECODABLE", "split_lines"]

# How split_lines says a line ended.
ENDED: Final = 0  # with a newline
LAST: Final = 1  # with the end of the file (a final line with no newline)
TOO_LONG: Final = 2  # it did not end within the limit; only its start is given
UNDECODABLE: Final = 3  # the text stream could not decode it; the line says why
CUT: Final = 4096  # how much of a line too long is given
BLOCK: Final = 2**20


def split_lines(
    read: Callable[[int], bytes | str], first_limit: int, limit: int
) -> Iterator[tuple[Any, int]]:
    """Lines of a stream, without their newline, as ``(line, how_it_ended)``.

    Reads 1 MiB blocks and splits them in C (``readline`` costs ~1.5 us a line, five
    times more). A line that grows past its limit (``first_limit`` for the first
    line, ``limit`` after it) ends the iteration with ``TOO_LONG`` and its first 4 KiB,
    so no more than the limit plus one block is ever held for it.
    """
    pending: list[Any] = []  # pieces of a line that spans blocks
    pending_len = 0
    cap = first_limit
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
            nl, join = (b"\n", b"".join) if isinstance(block, bytes) else ("\n", "".join)
        parts = block.split(nl)
        tail = parts.pop()
        if parts:
            if pending:
                pending.append(parts[0])
                parts[0] = join(pending)
                pending = []
                pending_len = 0
            for line in parts:
                if len(line) > cap:
                    yield line[:CUT], TOO_LONG
                    return
                yield line, ENDED
                cap = limit
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
