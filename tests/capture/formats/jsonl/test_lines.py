"""Tests of inspector.capture.formats.jsonl.lines: a stream split into lines, with no
more than a line's limit held for one line."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from inspector.capture.formats.jsonl.lines import (
    BLOCK,
    CUT,
    ENDED,
    LAST,
    LINES,
    TOO_LONG,
    UNDECODABLE,
    binary_hint,
    json_document_hint,
    split_chunks,
)


def split_lines(
    read: Callable[[int], bytes | str], first: int, limit: int
) -> list[tuple[Any, int]]:
    """split_chunks' pieces as lines: each LINES piece split at its newlines."""
    lines: list[tuple[Any, int]] = []
    for piece, how in split_chunks(read, first, limit):
        if how == LINES:
            nl = b"\n" if isinstance(piece, bytes) else "\n"
            lines.extend((line, ENDED) for line in piece.split(nl))
        else:
            lines.append((piece, how))
    return lines


def test_lines_across_blocks_and_a_last_line_without_newline() -> None:
    data = b"a\n" + b"b" * 3_000_000 + b"\n\nlast"
    lines = split_lines(io.BytesIO(data).read, 10, 4_000_000)
    assert [(len(x), how) for x, how in lines] == [
        (1, ENDED),
        (3_000_000, ENDED),
        (0, ENDED),
        (4, LAST),
    ]


def test_a_line_past_its_limit_ends_the_lines_with_its_start() -> None:
    lines = split_lines(io.BytesIO(b"x" * 100 + b"\nnext\n").read, 50, 1000)
    assert lines == [(b"x" * 100, TOO_LONG)]  # the first line's own, smaller limit
    endless = split_lines(io.BytesIO(b"ok\n" + b"y" * 5_000_000).read, 10, 2**20)
    assert endless == [(b"ok", ENDED), (b"y" * CUT, TOO_LONG)]


def test_a_text_stream_that_cannot_decode_is_one_line_that_says_so() -> None:
    stream = io.TextIOWrapper(io.BytesIO(b"ok\n\xff\xfe"), encoding="ascii")
    ((text, how),) = split_lines(stream.read, 10, 10)
    assert how == UNDECODABLE and text.startswith("not ascii text")


def test_hints() -> None:
    assert binary_hint(b"a\x00b") == " (it holds binary data)"
    assert binary_hint(b"\xffx") == " (it is not UTF-8 text: byte 0)"
    assert binary_hint("text") == ""
    assert json_document_hint(b"{") and json_document_hint('{"log"')
    assert json_document_hint("[1]") == ""


def test_the_whole_lines_of_a_block_come_together_after_the_first_line() -> None:
    data = b"head\n" + b"a\nbb\n" * 3 + b"\nlast"
    pieces = list(split_chunks(io.BytesIO(data).read, 10, 100))
    assert pieces == [(b"head", ENDED), (b"a\nbb\n" * 3, LINES), (b"last", LAST)]


def test_a_line_that_spans_blocks_comes_alone_and_is_held_to_its_limit() -> None:
    long_line = b"x" * (BLOCK + 10)
    data = b"head\n" + long_line + b"\nshort\nend\n"
    pieces = list(split_chunks(io.BytesIO(data).read, 10, 2 * BLOCK))
    assert [(len(p), how) for p, how in pieces] == [
        (4, ENDED),
        (BLOCK + 10, ENDED),
        (len(b"short\nend"), LINES),
    ]
    # Whole lines of a block that are over the limit: each is looked at on its own.
    many = b"head\n" + b"y" * 30 + b"\nok\n"
    assert list(split_chunks(io.BytesIO(many).read, 10, 20)) == [
        (b"head", ENDED),
        (b"y" * 30, TOO_LONG),
    ]
