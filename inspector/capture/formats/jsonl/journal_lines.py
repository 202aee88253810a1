"""The journal's own line types, ``frames`` and ``messages`` (docs/capture-format.md):
what a live journal writes so that keeping up with a flood costs little more than
receiving it, and how a reader takes them apart again."""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from itertools import repeat
from operator import attrgetter, is_not, itemgetter
from typing import Any, Final

from ....protocol.events import Message
from ....protocol.frames import FrameBatch, apply_mask, header_length
from ...events import Direction, FramesCaptured, MessageCaptured
from ...store import CaptureStore
from .schema import (
    MAX_INT64,
    Bad,
    b64_field,
    b64encode,
    direction,
    dumps,
    integer,
    json_float,
    json_preview,
    num,
)

__all__ = [
    "frames_head",
    "frames_line",
    "messages_line",
    "read_frames_line",
    "read_messages_line",
]

_unpack_H = struct.Struct("!H").unpack_from
_unpack_Q = struct.Struct("!Q").unpack_from


# ------------------------------------------------------------------- writing

_FRAMES_DIR = (b'"out"', b'"in"')


def frames_line(
    t: float, direction: Direction, seq: int, offset: int, count: int, wire: bytes | memoryview
) -> bytes:
    """A ``frames`` line, UTF-8, with its line end: ``count`` consecutive frames of
    one direction (``seq`` and stream ``offset`` of the first), given as the bytes
    that crossed the wire, headers and payloads, masked payloads still masked.

    Live journals write frames this way: one base64 call per socket read instead of
    a formatted line per frame (which costs more than receiving the frame did), and
    the file grows by 4/3 of the traffic instead of ~20 times it for small frames.
    :func:`write_jsonl` never writes them; the reader reads them.
    """
    return b"".join(
        (frames_head(t, direction, seq, offset, count), b64encode(wire, newline=False), b'"}\n')
    )


def frames_head(t: float, direction: Direction, seq: int, offset: int, count: int) -> bytes:
    """A ``frames`` line up to its base64 data: the line is this, the base64 of the
    wire bytes, and ``"}`` and a newline (for writers that avoid joining them)."""
    return b'{"type":"frames","t":%b,"dir":%b,"seq":%d,"offset":%d,"count":%d,"data_b64":"' % (
        json_float(t).encode("ascii"),
        _FRAMES_DIR[0 if direction is Direction.OUT else 1],
        seq,
        offset,
        count,
    )


_get_message = attrgetter("message")
#: Message fields by index (Message is a NamedTuple): opcode, first_seq, last_seq,
#: wire_size, compressed, truncated, frame_count; data and text.
_MESSAGE_COLUMNS: Final = (
    ("opcode", 0),
    ("last_seq", 4),
    ("wire_size", 5),
    ("compressed", 6),
    ("truncated", 7),
    ("frame_count", 8),
)
_get_data = itemgetter(1)
_get_text = itemgetter(2)
_get_first = itemgetter(3)


def messages_line(t: float, direction: Direction, events: Sequence[MessageCaptured]) -> bytes:
    """A ``messages`` line, UTF-8, with its line end: the messages of one socket read
    (one time, one direction), in columns (journals only, see docs/capture-format.md).

    A journal of a compressed flood has a message line per message (the inflated
    data is not in the frames); formatting each costs ~4 us, about what receiving the
    message cost. In columns, with C-level maps, it is ~0.5 us. A column whose values
    are all the same is written once as a scalar; ``first_seq`` is left out when it
    equals ``last_seq``.
    """
    messages = list(map(_get_message, events))
    parts = [
        b'{"type":"messages","t":%b,"dir":%b,"count":%d'
        % (
            json_float(t).encode("ascii"),
            _FRAMES_DIR[0 if direction is Direction.OUT else 1],
            len(messages),
        )
    ]
    for name, index in _MESSAGE_COLUMNS:
        column = list(map(itemgetter(index), messages))
        if name == "last_seq":
            firsts = list(map(_get_first, messages))
            if firsts != column:
                parts.append(b',"first_seq":%b' % dumps(firsts).encode())
        value: Any = column[0] if column.count(column[0]) == len(column) else column
        if name == "last_seq":
            value = column
        parts.append(b',"%b":%b' % (name.encode(), dumps(value).encode()))
    datas = list(map(_get_data, messages))
    texts = list(map(is_not, map(_get_text, messages), repeat(None)))
    parts.append(b',"size":%b' % dumps(list(map(len, datas))).encode())
    parts.append(
        b',"text":%b' % dumps(texts[0] if texts.count(texts[0]) == len(texts) else texts).encode()
    )
    parts.append(b',"data_b64":"%b"}\n' % b64encode(b"".join(datas), newline=False))
    return b"".join(parts)


# ------------------------------------------------------------------- reading


def read_frames_line(store: CaptureStore, obj: dict[str, Any]) -> int:
    """The frames of a ``frames`` line added to ``store`` in one batch; returns how
    many. Raises Bad (nothing added) when the line is not valid."""
    t = num(obj, "t")
    d = direction(obj)
    seq = integer(obj, "seq")
    offset = integer(obj, "offset")
    count = integer(obj, "count", minimum=1)
    wire = b64_field(obj, "data_b64")
    # The store keeps seq and offset in signed 64-bit columns.
    if seq + count - 1 > MAX_INT64 or offset + len(wire) > MAX_INT64:
        raise Bad(f'"seq" or "offset" is too large (the most is {MAX_INT64})')
    offsets: array[int] = array("q")
    payloads: list[bytes] = []
    n = len(wire)
    pos = 0
    while pos < n:
        if n - pos < 2:
            raise Bad(f'"data_b64" ends inside the header of frame {len(payloads) + 1}')
        b1 = wire[pos + 1]
        p = pos + header_length(b1)
        if p > n:
            raise Bad(f'"data_b64" ends inside the header of frame {len(payloads) + 1}')
        n7 = b1 & 0x7F
        length = (
            n7
            if n7 < 126
            else _unpack_H(wire, pos + 2)[0]
            if n7 == 126
            else _unpack_Q(wire, pos + 2)[0]
        )
        end = p + length
        if end > n:
            raise Bad(f'"data_b64" ends inside the payload of frame {len(payloads) + 1}')
        payload = wire[p:end]
        if b1 & 0x80:
            payload = apply_mask(payload, wire[p - 4 : p])
        offsets.append(pos)
        payloads.append(payload)
        pos = end
    if len(payloads) != count:
        raise Bad(f'"count" is {count} but "data_b64" holds {len(payloads)} frames')
    store.add(FramesCaptured(t, d, FrameBatch(seq, offset, wire, offsets, payloads, {})))
    return count


def read_messages_line(store: CaptureStore, obj: dict[str, Any]) -> int:
    """The messages of a ``messages`` line added to ``store``; returns how many.
    Raises Bad (nothing added) when the line is not valid."""
    t = num(obj, "t")
    d = direction(obj)
    count = integer(obj, "count", minimum=1)
    # Each message ends at a frame of its own, so "last_seq" lists them all; checked
    # first, it bounds "count" by the line's size before other columns are expanded.
    lasts = _column(obj, "last_seq", count, int, "integers", scalar=count == 1)
    opcodes = _column(obj, "opcode", count, int, "integers 0-15")
    if any(op > 15 for op in opcodes):
        raise Bad('"opcode" must hold integers 0-15')
    firsts = _column(obj, "first_seq", count, int, "integers") if "first_seq" in obj else lasts
    wires = _column(obj, "wire_size", count, int, "integers")
    compressed = _column(obj, "compressed", count, bool, "true or false")
    truncated = _column(obj, "truncated", count, bool, "true or false")
    frame_counts = _column(obj, "frame_count", count, int, "integers")
    sizes = _column(obj, "size", count, int, "integers")
    texts = _column(obj, "text", count, bool, "true or false")
    data = b64_field(obj, "data_b64")
    if sum(sizes) != len(data):
        raise Bad(f'"size" adds up to {sum(sizes)} bytes but "data_b64" holds {len(data)}')
    events: list[MessageCaptured] = []
    pos = 0
    for i in range(count):
        chunk = data[pos : pos + sizes[i]]
        pos += sizes[i]
        text = None
        if texts[i]:
            try:
                text = chunk.decode("utf-8")
            except UnicodeDecodeError:
                raise Bad(f"message {i + 1} is marked as text but is not UTF-8") from None
        message = Message(
            opcodes[i],
            chunk,
            text,
            firsts[i],
            lasts[i],
            wires[i],
            compressed[i],
            truncated[i],
            frame_counts[i],
        )
        events.append(MessageCaptured(t, d, message))
    for event in events:
        store.add(event)
    return count


def _column(
    obj: dict[str, Any], key: str, count: int, kind: type, what: str, *, scalar: bool = True
) -> list[Any]:
    """A ``messages`` column: a list of ``count`` values, or (if ``scalar``) one value
    for all."""
    value = obj.get(key)
    if not isinstance(value, list) and not scalar:
        raise Bad(f'"{key}" must be a list of {count} {what}, not {json_preview(value)}')
    values: list[Any] = value if isinstance(value, list) else [value] * count
    if len(values) != count:
        raise Bad(f'"{key}" has {len(values)} values for {count} messages')
    for v in values:
        if kind is int:
            ok = isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INT64
        else:
            ok = isinstance(v, kind)
        if not ok:
            raise Bad(f'"{key}" must hold {what}, not {json_preview(v)}')
    return values
