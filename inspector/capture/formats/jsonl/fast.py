"""Frame lines read in bulk: a block of them parsed as one JSON array by a fast JSON
library, checked column by column and handed to the store's columns at once.

``json.loads`` is the limit of reading a capture line by line (~6 us a line; the
canonical-line regular expression ~2 us). msgspec or orjson, where installed, parse
a block of a few thousand lines in one call (msgspec into typed records that skip
the fields not needed), and everything after that runs in C-level ``map``/``bytes``
operations: no Python step per frame.
Without either library (both optional), :func:`read_frame_block` is unavailable and
the reader goes line by line as before.

A block is taken whole or not at all: any line that is not a plain frame line
(violations, a field of the wrong type, a length form other than 7 bits, JSON that
does not parse...) makes :func:`read_frame_block` return False with nothing
appended, and the reader then reads that block line by line, which says exactly
what is wrong where.
"""

from __future__ import annotations

import binascii
import functools
import math
import re
from array import array
from collections.abc import Callable, Sequence
from operator import attrgetter, itemgetter
from typing import Any, Final

from ...store import CaptureStore
from . import schema
from .schema import MAX_INT64

__all__ = ["FAST_JSON", "FRAME_PREFIX", "loads", "read_frame_block"]

_decode: Callable[[bytes], list[Any]] | None
_FIELD_NAMES = ("type", "t", "dir", "seq", "offset", "header_hex", "payload_b64", "violations")
try:
    # msgspec first: decoding into a typed record skips the fields the store
    # rebuilds from the header without making objects of them (measured: 3x faster
    # than json.loads, 2x faster than orjson on frame lines).
    import msgspec

    class _FrameLine(msgspec.Struct, gc=False):
        type: str
        t: float
        dir: str
        seq: int
        offset: int
        header_hex: str
        payload_b64: str
        # Only frame lines without violations are read in bulk: the empty tuple is
        # what msgspec accepts for that, and it is no new object per line.
        violations: tuple[()]

    _decode = msgspec.json.Decoder(list[_FrameLine]).decode
    _decode_any: Callable[[str], Any] | None = msgspec.json.decode
    _getter: Callable[[str], Callable[[Any], Any]] = attrgetter
    FAST_JSON: str | None = "msgspec"
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        import orjson

        _decode = orjson.loads
        _decode_any = orjson.loads
        _getter = itemgetter
        FAST_JSON = "orjson"
    except ImportError:
        _decode = None
        _decode_any = None
        FAST_JSON = None

#: How every frame line the writer makes begins.
FRAME_PREFIX: Final = '{"type":"frame",'
FRAME_PREFIX_BYTES: Final = FRAME_PREFIX.encode("ascii")

_DIR = {"out": 0, "in": 1}
_b64 = functools.partial(binascii.a2b_base64, strict_mode=True)
_NUMBERS = frozenset({float, int})
_INT = frozenset({int})
_LIST = frozenset({list})
_EMPTY = frozenset({0})
_DICT = frozenset({dict})


def loads(text: str) -> Any:
    """:func:`.schema.loads` (JSON with NaN and the infinities marked), by the fast
    library where it can: a document it refuses (NaN, ``1e999``, a lone surrogate,
    an integer it cannot hold, or JSON that is not valid) goes to ``schema.loads``,
    which gives the same result as ever, or the same error."""
    if _decode_any is not None and not (FAST_JSON == "orjson" and _has_long_int(text)):
        try:
            return _decode_any(text)
        except Exception:  # refused: the standard decoder says what it makes of it
            pass
    return schema.loads(text)


def _has_long_int(text: str) -> bool:
    # orjson turns an integer past 64 bits into a float; the json module keeps it.
    return _LONG_INT.search(text) is not None


_LONG_INT: Final = re.compile(r"[0-9]{20}")


def read_frame_block(store: CaptureStore, lines: Sequence[bytes] | Sequence[str]) -> bool:
    """Append the frames of ``lines`` (frame lines, all bytes or all str) to
    ``store`` and return True, or return False having appended nothing."""
    if _decode is None or not lines:
        return False
    try:
        columns = _columns(lines)
    except Exception:  # anything unexpected: the line-by-line reader will say what
        return False
    return columns is not None and store.extend_frames(*columns)


def _columns(
    lines: Sequence[bytes] | Sequence[str],
) -> tuple[array[float], bytes, array[int], array[int], list[bytes], list[bytes]] | None:
    assert _decode is not None
    if isinstance(lines[0], bytes):
        blob = b"[" + b",".join(lines) + b"]"  # type: ignore[arg-type]
    else:
        blob = ("[" + ",".join(lines) + "]").encode("utf-8", "surrogatepass")  # type: ignore[arg-type]
    records = _decode(blob)
    if type(records) is not list or len(records) != len(lines):
        return None
    if FAST_JSON == "orjson" and not _DICT.issuperset(map(type, records)):
        return None
    # One column at a time: a tuple per record would be a new object for the
    # garbage collector per line (measured: 7x slower).
    kinds, ts, dirs, seqs, offsets, hexes, b64s, violations = (
        list(map(_getter(name), records)) for name in _FIELD_NAMES
    )
    if set(kinds) != {"frame"} or not _EMPTY.issuperset(map(len, violations)):
        return None
    if FAST_JSON == "orjson" and not _LIST.issuperset(map(type, violations)):
        return None
    # Bools are ints to Python and a number past 2**64 becomes a float in orjson:
    # the exact types are checked, as the line-by-line reader does.
    if not _NUMBERS.issuperset(map(type, ts)) or not all(map(math.isfinite, ts)):
        return None
    if not (_INT.issuperset(map(type, seqs)) and _INT.issuperset(map(type, offsets))):
        return None
    if min(seqs) < 0 or min(offsets) < 0 or max(seqs) > MAX_INT64 or max(offsets) > MAX_INT64:
        return None
    if not set(dirs).issubset(_DIR):
        return None
    headers = list(map(bytes.fromhex, hexes))
    payloads = list(map(_b64, b64s))
    return (
        array("d", ts),
        bytes(map(_DIR.__getitem__, dirs)),
        array("q", seqs),
        array("q", offsets),
        headers,
        payloads,
    )
