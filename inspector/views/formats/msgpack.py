"""MessagePack: the decoded value as JSON-like text and a tree, ext types shown
(``ext(5, h'..')``; ext -1 is the timestamp and shows as a date)."""

from __future__ import annotations

from functools import partial
from typing import Any

import msgpack

from ..base import NO_TEXT, PayloadMeta, Rendered, Syntax, View, ViewError
from ..registry import Registry
from .structured import brief, brief_line, container_line, pretty, tree

__all__ = ["MsgpackView", "decode_one", "encode", "register", "walk"]

# Bytes after the first one, by first byte, for the fixed-size types.
_FIXED = {
    0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,
    0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8, 0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17,
}  # fmt: skip
# Length-prefixed types: first byte -> (size of the length, extra bytes: ext's type).
_SIZED = {
    0xC4: (1, 0), 0xC5: (2, 0), 0xC6: (4, 0), 0xC7: (1, 1), 0xC8: (2, 1), 0xC9: (4, 1),
    0xD9: (1, 0), 0xDA: (2, 0), 0xDB: (4, 0),
}  # fmt: skip
# Containers with a counted length: first byte -> (size of the count, items per count).
_COUNTED = {0xDC: (2, 1), 0xDD: (4, 1), 0xDE: (2, 2), 0xDF: (4, 2)}


def walk(data: bytes, pos: int = 0) -> int:
    """Where the MessagePack value at ``pos`` ends, read from its headers without
    decoding it; :class:`ViewError` says where it is not valid (used for the offset
    of an error, the C decoder being the fast path)."""
    n = len(data)
    remaining = 1
    while remaining:
        if pos >= n:
            raise ViewError("the data ends inside a value", n)
        b = data[pos]
        remaining -= 1
        if b <= 0x7F or b >= 0xE0:
            pos += 1
        elif b <= 0x8F:
            remaining += 2 * (b & 0x0F)
            pos += 1
        elif b <= 0x9F:
            remaining += b & 0x0F
            pos += 1
        elif b <= 0xBF:
            pos += 1 + (b & 0x1F)
        elif b == 0xC1:
            raise ViewError("0xc1 is not a MessagePack type", pos)
        elif b in _FIXED:
            pos += 1 + _FIXED[b]
        elif b in _SIZED:
            size, extra = _SIZED[b]
            if pos + 1 + size > n:
                raise ViewError("the data ends inside a length", n)
            pos += 1 + size + extra + int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
        else:
            size, per = _COUNTED[b]
            if pos + 1 + size > n:
                raise ViewError("the data ends inside a count", n)
            remaining += per * int.from_bytes(data[pos + 1 : pos + 1 + size], "big")
            pos += 1 + size
    if pos > n:
        raise ViewError("the data ends inside a value", n)
    return pos


def decode_one(data: bytes) -> Any:
    """The one MessagePack value ``data`` holds; :class:`ViewError` with the byte where
    it is not valid (trailing bytes included)."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, unicode_errors="replace")
    except msgpack.ExtraData:
        raise ViewError("bytes after the value", walk(data)) from None
    except Exception as exc:
        end = walk(data)  # raises where the structure is broken
        if end < len(data):
            raise ViewError("bytes after the value", end) from None
        raise ViewError(str(exc) or type(exc).__name__) from None


def encode(value: Any) -> bytes:
    """``value`` (JSON-like: dicts, lists, str, int, float, bool, None; bytes too) as
    MessagePack, strings as str and bytes as bin (the 2013 spec's distinction)."""
    try:
        return msgpack.packb(value, use_bin_type=True)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"cannot be written as MessagePack: {exc}") from None


def _first_container(data: bytes) -> str | None:
    if not data:
        return None
    b = data[0]
    if 0x80 <= b <= 0x8F:
        return f"{{{b & 0x0F}}}"
    if 0x90 <= b <= 0x9F:
        return f"[{b & 0x0F}]"
    if b in _COUNTED and len(data) >= 1 + _COUNTED[b][0]:
        size, per = _COUNTED[b]
        count = int.from_bytes(data[1 : 1 + size], "big")
        return f"{{{count}}}" if per == 2 else f"[{count}]"
    return None


#: The last payload :meth:`MsgpackView.priority` decoded whole, and its value: a table
#: row is rated, then summarised, from the same bytes object (a short payload's prefix
#: is the payload itself), so that its summary need not decode it again. Held by
#: identity: the reference kept means the object cannot be another one.
_last: tuple[bytes | None, Any] = (None, None)
# First bytes of a map or an array (fixmap, fixarray, array 16/32, map 16/32) whose
# count is in the first byte (the others: :func:`_first_container`).
_FIX_CONTAINERS = frozenset(range(0x80, 0xA0))
_CONTAINERS = _FIX_CONTAINERS | _COUNTED.keys()
#: Payloads up to this size are decoded to be rated (in C, and the value serves the
#: summary); longer ones are only walked (in C, no objects made) and their summary
#: reads the container's head and first items.
_DECODED_UP_TO = 512


def _unpacker(raw: bool) -> msgpack.Unpacker:
    return msgpack.Unpacker(raw=raw, strict_map_key=False, unicode_errors="replace")


def _rating(prefix: bytes, whole: bool) -> float:
    """:meth:`MsgpackView.priority` of a payload longer than :data:`_DECODED_UP_TO`
    (or cut), from its first 4096 bytes: 0.6 for a whole map or array, 0.2 for a lone
    scalar, 0.45 for a prefix that is a container so far, -1 when it cannot be."""
    container = prefix[0] in _CONTAINERS
    if not whole and not container:
        return -1
    unpacker = _unpacker(raw=True)
    unpacker.feed(prefix)
    try:
        unpacker.skip()
    except msgpack.OutOfData:
        return -1 if whole else 0.45
    except Exception:
        return -1
    if not whole or unpacker.tell() != len(prefix):
        return -1  # a whole value in the prefix, yet the payload goes on
    return 0.6 if container else 0.2


def _head_line(prefix: bytes) -> str | None:
    """A map's or an array's brief line from the start of its encoding: its size and
    as many of its first 8 keys (items of an array) as the prefix holds, without
    decoding the rest (None: not a container)."""
    b = prefix[0]
    if b not in _CONTAINERS:
        return None
    is_map = 0x80 <= b <= 0x8F or b in (0xDE, 0xDF)
    unpacker = _unpacker(raw=False)
    unpacker.feed(prefix)
    try:
        count = unpacker.read_map_header() if is_map else unpacker.read_array_header()
    except Exception:  # the prefix ends inside the head
        return None
    wanted = min(count, 8)
    firsts: list[Any] = []
    try:
        while len(firsts) < wanted:
            firsts.append(unpacker.unpack())
            if is_map and len(firsts) < wanted:
                unpacker.skip()  # (a value: not shown)
    except Exception:  # the prefix ends (or goes wrong) here: what was read says enough
        return container_line(is_map, count, firsts) + " \u2026"
    return container_line(is_map, count, firsts)


class MsgpackView(View):
    name = "msgpack"
    title = "MessagePack"
    text_starts = NO_TEXT
    binary_starts = frozenset(range(256)) - {0xC1}  # 0xc1: never used
    top_priority = 0.6

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        """0.6 for a whole map or array, 0.2 for a lone scalar (binary noise often
        reads as one), 0.45 for a prefix that is a container so far, -1 when it
        cannot be."""
        global _last
        if meta.opcode != 2 or not data:
            return -1
        n = len(data)
        size = meta.size
        if n <= _DECODED_UP_TO and (size is None or size <= n):
            try:  # as decode_one reads it (which says where it fails: slower)
                value = msgpack.unpackb(
                    data, raw=False, strict_map_key=False, unicode_errors="replace"
                )
            except Exception:
                return -1
            _last = (data, value)
            return 0.6 if data[0] in _CONTAINERS else 0.2
        prefix = data[:4096]
        return _rating(prefix, size is None or size <= len(prefix))

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        value = decode_one(data)
        return Rendered(self.name, pretty(value), Syntax.JSON, partial(tree, value))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        last = _last
        if last[0] is prefix:  # rated just before: decoded already
            return "msgpack " + brief(last[1])
        size = meta.size
        n = len(prefix)
        if n <= _DECODED_UP_TO and (size is None or size <= n):
            try:
                return "msgpack " + brief(decode_one(prefix))
            except ViewError:
                pass
        elif prefix:
            line = _head_line(prefix)
            if line is not None:
                return "msgpack " + brief_line(line)
            try:  # a lone scalar: a long string, bytes
                return "msgpack " + brief(decode_one(prefix))
            except ViewError:
                pass
        head = _first_container(prefix)
        return f"msgpack {head} \u2026" if head else None


def register(registry: Registry) -> None:
    registry.add(MsgpackView())
