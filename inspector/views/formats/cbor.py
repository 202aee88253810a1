"""CBOR (RFC 8949): the decoded value as JSON-like text and a tree, tags shown as
they are sent (``tag(1, 1700000000)`` rather than a converted date) with their
meaning named in the tree."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import partial
from typing import Any

import cbor2

from ..base import NO_TEXT, PayloadMeta, Rendered, Syntax, View, ViewError
from ..registry import Registry
from .structured import brief, pretty, tree

__all__ = ["CborView", "decode_one", "encode", "register"]

# Tags cbor2 would convert to Python objects; kept as tags, so the view shows what was
# sent. Shared references (28, 29) and string references (25, 256) stay decoded:
# they are structure, not values.
_KEPT_TAGS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 30, 32, 33, 34, 35, 36, 37, 38, 52, 54)
_KEPT_TAGS += (100, 258, 260, 261, 262, 263, 1004, 55799)


def _keep(tag: int) -> Callable[..., cbor2.CBORTag]:
    def keep(value: Any, *_immutable: Any) -> cbor2.CBORTag:
        return cbor2.CBORTag(tag, value)

    return keep


_SEMANTIC = {tag: _keep(tag) for tag in _KEPT_TAGS}
# Lengths in a CBOR header go up to 2**64: refuse nesting deeper than a person reads.
_MAX_DEPTH = 200


def decode_one(data: bytes) -> Any:
    """The one CBOR item ``data`` holds; :class:`ViewError` says at which byte it is
    not valid (trailing bytes included)."""
    fp = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        fp, semantic_decoders=_SEMANTIC, str_errors="replace", max_depth=_MAX_DEPTH
    )
    try:
        value = decoder.decode()
    except cbor2.CBORDecodeEOF:
        raise ViewError("the data ends inside an item", len(data)) from None
    except Exception as exc:
        raise ViewError(str(exc) or type(exc).__name__, min(fp.tell(), len(data))) from None
    if fp.tell() < len(data):
        raise ViewError("bytes after the item", fp.tell())
    return value


def encode(value: Any) -> bytes:
    """``value`` (JSON-like, bytes too) as one CBOR item; integers past 64 bits become
    bignums (tags 2 and 3), as cbor2 writes them."""
    try:
        return cbor2.dumps(value)
    except (cbor2.CBOREncodeError, TypeError, ValueError) as exc:
        raise ValueError(f"cannot be written as CBOR: {exc}") from None


_MAJOR_MAP, _MAJOR_ARRAY, _MAJOR_TAG = 5, 4, 6


def _head(data: bytes) -> str | None:
    """A container's or tag's head as a brief line says it, from its first bytes."""
    if not data:
        return None
    major, info = data[0] >> 5, data[0] & 0x1F
    if major not in (_MAJOR_MAP, _MAJOR_ARRAY, _MAJOR_TAG):
        return None
    if info < 24:
        n: int | None = info
    elif info <= 27 and len(data) >= 1 + (1 << (info - 24)):
        n = int.from_bytes(data[1 : 1 + (1 << (info - 24))], "big")
    elif info == 31 and major != _MAJOR_TAG:
        n = None  # indefinite length
    else:
        return None
    count = "_" if n is None else str(n)
    if major == _MAJOR_TAG:
        return f"tag({count}, \u2026"
    return f"{{{count}}}" if major == _MAJOR_MAP else f"[{count}]"


# RFC 8949 3: additional information 28-30 is reserved for every major type, and an
# indefinite length (31) has no meaning for integers or tags; a lone break (0xff) is
# no item either.
_WELL_FORMED_STARTS = frozenset(
    b for b in range(256) if b & 0x1F not in (28, 29, 30) and b not in (0x1F, 0x3F, 0xDF, 0xFF)
)


class CborView(View):
    name = "cbor"
    title = "CBOR"
    text_starts = NO_TEXT
    binary_starts = _WELL_FORMED_STARTS
    top_priority = 0.55

    def priority(self, data: bytes, meta: PayloadMeta) -> float:
        if meta.opcode != 2 or not data:
            return -1
        head = _head(data)
        prefix = data[:4096]
        whole = meta.size is None or meta.size <= len(prefix)
        if whole and len(data) <= 4096:
            try:
                decode_one(data)
            except ViewError:
                return -1
            # 0.55: a whole container, just below MessagePack's 0.6 for the rare
            # payload both read; a lone scalar is as likely binary noise.
            return 0.55 if head else 0.2
        return 0.4 if head else -1

    def render(self, data: bytes, meta: PayloadMeta) -> Rendered:
        value = decode_one(data)
        return Rendered(self.name, pretty(value), Syntax.JSON, partial(tree, value))

    def summary(self, prefix: bytes, meta: PayloadMeta) -> str | None:
        try:
            value = decode_one(prefix)
        except ViewError:
            head = _head(prefix)
            return f"cbor {head} \u2026" if head else None
        return f"cbor {brief(value)}"


def register(registry: Registry) -> None:
    registry.add(CborView())
