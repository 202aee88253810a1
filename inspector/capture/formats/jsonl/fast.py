"""Frame lines read in bulk: a run of them parsed as one JSON array by a fast JSON
library, checked column by column and handed to the store's columns at once.

``json.loads`` is the limit of reading a capture line by line (~6 us a line; the
canonical-line regular expression ~2 us; a Python step per line ~0.5 us). msgspec
or orjson, where installed, parse a run of a few thousand lines (the whole lines of
a 1 MiB block, as :func:`~.lines.split_chunks` gives them) in one call: msgspec
into typed records whose types it checks itself (``"frame"``, the direction, the
integers' range, the base64 payload decoded, no violations), skipping the fields
not needed without making objects of them; everything after that runs in C-level
``map``/``bytes`` operations: no Python step per frame.
Without either library (both optional), :func:`read_frame_lines` is unavailable
and the reader goes line by line.

A run is taken whole or not at all: any line that is not a plain frame line
(violations, a field of the wrong type, a length form other than 7 bits, JSON that
does not parse...) makes :func:`read_frame_lines` return False with nothing
appended, and the reader then reads that run line by line, which says exactly what
is wrong where.
"""

from __future__ import annotations

import binascii
import functools
import math
import re
from array import array
from collections.abc import Callable
from operator import attrgetter, itemgetter
from typing import Annotated, Any, Final, Literal

from ...store import CaptureStore
from . import schema
from .schema import MAX_INT64

__all__ = ["FAST_JSON", "loads", "read_frame_lines"]

#: Columns of a run of frame lines: t, dirs (0 out, 1 in), seq, offset, headers and
#: payloads, as :meth:`CaptureStore.extend_frames` takes them.
Columns = tuple["array[float]", bytes, "array[int]", "array[int]", list[bytes], list[bytes]]

#: "out" and "in" told apart by their length (3 and 2) in one ``translate``.
_DIR_BY_LEN: Final = bytes(0 if n == 3 else 1 for n in range(256))
_DIR = {"out": 0, "in": 1}
_b64 = functools.partial(binascii.a2b_base64, strict_mode=True)

_NUMBERS = frozenset({float, int})
_INT = frozenset({int})
_LIST = frozenset({list})
_EMPTY = frozenset({0})
_DICT = frozenset({dict})
_CHECKED = ("type", "t", "dir", "seq", "offset", "header_hex", "payload_b64", "violations")


def _checked_columns(records: list[Any]) -> Columns | None:
    """The columns of untyped records (dicts, as orjson makes them), each field's
    type checked here as msgspec checks the typed ones."""
    if not _DICT.issuperset(map(type, records)):
        return None
    kinds, ts, dirs, seqs, offsets, hexes, b64s, violations = (
        list(map(itemgetter(name), records)) for name in _CHECKED
    )
    if set(kinds) != {"frame"} or not _LIST.issuperset(map(type, violations)):
        return None
    if not _EMPTY.issuperset(map(len, violations)) or not set(dirs).issubset(_DIR):
        return None
    # Bools are ints to Python and a number past 2**64 becomes a float in orjson:
    # the exact types are checked, as the line-by-line reader does.
    if not _NUMBERS.issuperset(map(type, ts)) or not all(map(math.isfinite, ts)):
        return None
    if not (_INT.issuperset(map(type, seqs)) and _INT.issuperset(map(type, offsets))):
        return None
    if min(seqs) < 0 or min(offsets) < 0 or max(seqs) > MAX_INT64 or max(offsets) > MAX_INT64:
        return None
    return (
        array("d", ts),
        bytes(map(_DIR.__getitem__, dirs)),
        array("q", seqs),
        array("q", offsets),
        list(map(bytes.fromhex, hexes)),
        list(map(_b64, b64s)),
    )


_decode: Callable[[bytes], list[Any]] | None
_columns: Callable[[list[Any]], Columns | None]
try:
    # msgspec first: decoding into a typed record checks each field's type in C and
    # skips the fields the store rebuilds from the header without making objects
    # of them (measured: 3x faster than json.loads, 2x faster than orjson).
    import msgspec

    _Int64 = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]

    class _FrameLine(msgspec.Struct, gc=False):
        type: Literal["frame"]
        # msgspec refuses what JSON cannot write (NaN, 1e999): every t is finite.
        t: float
        dir: Literal["out", "in"]
        seq: _Int64
        offset: _Int64
        header_hex: str
        # Base64 as strict as binascii's strict mode (checked, the same refusals).
        payload_b64: bytes
        # Only frame lines without violations are read in bulk: the empty tuple is
        # what msgspec accepts for that, and it is no new object per line.
        violations: tuple[()]

    _decode = msgspec.json.Decoder(list[_FrameLine]).decode
    _decode_any: Callable[[str], Any] | None = msgspec.json.decode
    _get_t, _get_dir, _get_seq, _get_offset, _get_hex, _get_payload = map(
        attrgetter, ("t", "dir", "seq", "offset", "header_hex", "payload_b64")
    )

    def _typed_columns(records: list[Any]) -> Columns | None:
        # One column at a time: a tuple per record would be a new object for the
        # garbage collector per line (measured: 7x slower).
        return (
            array("d", map(_get_t, records)),
            bytes(map(len, map(_get_dir, records))).translate(_DIR_BY_LEN),
            array("q", map(_get_seq, records)),
            array("q", map(_get_offset, records)),
            list(map(bytes.fromhex, map(_get_hex, records))),
            list(map(_get_payload, records)),
        )

    _columns = _typed_columns
    FAST_JSON: str | None = "msgspec"
except ImportError:  # pragma: no cover - depends on what is installed
    try:
        import orjson

        _decode = orjson.loads
        _decode_any = orjson.loads
        _columns = _checked_columns
        FAST_JSON = "orjson"
    except ImportError:
        _decode = None
        _decode_any = None
        FAST_JSON = None


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


def read_frame_lines(store: CaptureStore, lines: bytes | str, count: int) -> bool:
    """Append the frames of ``lines`` (``count`` frame lines joined by newlines, the
    last one's left off) to ``store`` and return True, or return False having
    appended nothing."""
    if _decode is None or not count:
        return False
    try:
        if isinstance(lines, str):
            lines = lines.encode("utf-8", "surrogatepass")
        # A comma between lines: a line that is not one JSON value on its own
        # cannot make a valid array with the next (unlike a stream of values).
        records = _decode(b"".join((b"[", lines.replace(b"\n", b","), b"]")))
        if type(records) is not list or len(records) != count:
            return False
        columns = _columns(records)
    except Exception:  # anything unexpected: the line-by-line reader will say what
        return False
    return columns is not None and store.extend_frames(*columns)
