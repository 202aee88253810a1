"""Decoded values (JSON, MessagePack, CBOR) as text, a tree and a brief line: one
printer for every structured format, so that a MessagePack map and a JSON object
read the same and the types JSON lacks (bytes, ext types, tags) are named.

The text is JSON where the value is JSON (``json.dumps(value, indent=2)`` would print
the same), with the other types written ``h'00ff'`` (bytes), ``ext(5, h'..')``,
``tag(1, 1700000000)``, ``simple(16)``, ``undefined``.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Collection
from itertools import islice
from typing import Any

import cbor2
import msgpack

from ..base import TreeNode, ViewError
from ..text import escape_control, shorten

__all__ = [
    "CBOR_TAGS",
    "MAX_CHILDREN",
    "brief",
    "brief_line",
    "container_line",
    "json_value",
    "pretty",
    "scalar",
    "string_member",
    "tree",
]

#: Children a tree node lists; the rest are one "... N more" node (a table of 100,000
#: rows decodes in a blink but a tree widget of that size does not).
MAX_CHILDREN = 1000
#: Bytes of a byte string shown in a tree node or a one-line text.
_BYTES_SHOWN = 64


def _bytes(value: bytes | bytearray | memoryview) -> str:
    data = bytes(value)
    more = "..." if len(data) > _BYTES_SHOWN else ""
    return f"h'{data[:_BYTES_SHOWN].hex()}{more}'"


def _float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return json.dumps(value)


#: What the common CBOR tags mean (RFC 8949 section 3.4 and the IANA registry).
CBOR_TAGS = {
    0: "date/time text",
    1: "epoch time",
    2: "positive bignum",
    3: "negative bignum",
    4: "decimal fraction",
    5: "bigfloat",
    21: "expected base64url",
    22: "expected base64",
    23: "expected base16",
    24: "encoded CBOR",
    32: "URI",
    33: "base64url",
    34: "base64",
    35: "regular expression",
    36: "MIME message",
    37: "UUID",
    258: "set",
    55799: "self-described CBOR",
}


def _wrapped(value: Any) -> tuple[str, str, Any] | None:
    """(kind, head, inner) for the types that wrap another value, else None."""
    if isinstance(value, msgpack.ExtType):
        return f"ext {value.code}", f"ext({value.code}, ", bytes(value.data)
    if isinstance(value, cbor2.CBORTag):
        meaning = CBOR_TAGS.get(value.tag)
        kind = f"tag {value.tag}" + (f" ({meaning})" if meaning else "")
        return kind, f"tag({value.tag}, ", value.value
    return None


def scalar(value: Any) -> tuple[str, str] | None:
    """(text, kind) of a value that has no children, else None."""
    if value is None:
        return "null", "null"
    if value is True or value is False:
        return ("true" if value else "false"), "bool"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        return _float(value), "float"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False), "str"
    if isinstance(value, bytes | bytearray | memoryview):
        return _bytes(value), f"bytes {len(value)}"
    if isinstance(value, msgpack.Timestamp):
        return f"timestamp({value.to_datetime().isoformat()})", "ext -1 (timestamp)"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat(), type(value).__name__
    if isinstance(value, cbor2.CBORSimpleValue):
        return f"simple({value.value})", "simple"
    if value is cbor2.undefined:
        return "undefined", "undefined"
    if isinstance(value, dict | list | tuple | set | frozenset) or _wrapped(value):
        return None
    return repr(value), type(value).__name__


def _key(key: Any) -> str:
    if type(key) is str:  # nearly every key: no need to ask what it is
        return key
    shown = scalar(key)
    if shown is not None and shown[1] == "str":
        return str(key)
    return shown[0] if shown is not None else brief(key, 40)


def _items(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(_key(k), v) for k, v in value.items()]
    return [(str(i), v) for i, v in enumerate(value)]


def tree(value: Any, label: str = "") -> TreeNode:
    """The value as a tree: containers have children, scalars a value and a kind."""
    shown = scalar(value)
    if shown is not None:
        return TreeNode(label, shown[0], (), shown[1])
    wrapped = _wrapped(value)
    if wrapped is not None:
        kind, _, inner = wrapped
        inner_node = tree(inner, "value")
        return TreeNode(label, inner_node.value, (inner_node,), kind)
    is_map = isinstance(value, dict)
    items = _items(value if is_map or isinstance(value, list | tuple) else sorted(value, key=repr))
    children = [tree(v, k) for k, v in items[:MAX_CHILDREN]]
    if len(items) > MAX_CHILDREN:
        children.append(TreeNode("...", f"{len(items) - MAX_CHILDREN} more", (), ""))
    kind = "map" if is_map else "array"
    count = f"{{{len(items)}}}" if is_map else f"[{len(items)}]"
    return TreeNode(label, count, tuple(children), kind)


def pretty(value: Any, indent: int = 0) -> str:
    """The value as indented text (JSON's layout; see the module's docstring)."""
    shown = scalar(value)
    if shown is not None:
        return shown[0]
    wrapped = _wrapped(value)
    if wrapped is not None:
        return f"{wrapped[1]}{pretty(wrapped[2], indent)})"
    pad = "  " * (indent + 1)
    end = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [
            f"{pad}{json.dumps(k, ensure_ascii=False) if isinstance(k, str) else _key(k)}: "
            f"{pretty(v, indent + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(lines) + "\n" + end + "}"
    seq = list(value) if isinstance(value, list | tuple) else sorted(value, key=repr)
    if not seq:
        return "[]"
    return "[\n" + ",\n".join(pad + pretty(v, indent + 1) for v in seq) + "\n" + end + "]"


def brief(value: Any, limit: int = 120) -> str:
    """One line: a scalar as it is, a map as ``{3} a, b, c``, an array as ``[5] ...``;
    control characters escaped, at most about ``limit`` characters."""
    # A map, the usual top-level value, first (scalar() says None of it).
    is_map = type(value) is dict
    line = container_line(True, len(value), value) if is_map else _brief(value, limit)
    return brief_line(line, limit)


def brief_line(line: str, limit: int = 120) -> str:
    """``line`` as :func:`brief` gives it: cut to about ``limit`` characters, control
    characters escaped."""
    if len(line) > limit:
        line = shorten(line, limit)
    # (A printable line has no control character: escape_control would keep it.)
    return line if line.isprintable() else escape_control(line)


def container_line(is_map: bool, count: int, firsts: Collection[Any]) -> str:
    """A map's or an array's :func:`brief` (before it is cut and escaped) from its
    size and first items (keys of a map), at most 8 of them: all a brief line needs,
    so that a prefix need not be decoded whole."""
    if is_map:
        try:  # keys are nearly always str: joined in one C call, no _key per key
            keys = ", ".join(islice(firsts, 8))
        except TypeError:
            keys = ", ".join(map(_key, islice(firsts, 8)))
        return f"{{{count}}} {keys}".rstrip()
    return f"[{count}] {', '.join(map(_compact, islice(firsts, 8)))}".rstrip()


def _brief(value: Any, limit: int) -> str:
    shown = scalar(value)
    if shown is not None:
        return shown[0]
    wrapped = _wrapped(value)
    if wrapped is not None:
        return f"{wrapped[1]}{_brief(wrapped[2], limit)})"
    if isinstance(value, dict):
        return container_line(True, len(value), value)
    seq = value if isinstance(value, list | tuple) else ()
    return container_line(False, len(value), seq)


def _compact(value: Any) -> str:
    shown = scalar(value)
    if shown is not None:
        return shorten(shown[0], 40)
    if isinstance(value, dict):
        return f"{{{len(value)}}}"
    if isinstance(value, list | tuple | set | frozenset):
        return f"[{len(value)}]"
    wrapped = _wrapped(value)
    return wrapped[0] if wrapped is not None else "?"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_value(data: bytes | str, base: int = 0) -> Any:
    """``data`` parsed as JSON; :class:`ViewError` with the byte (``base`` added) where
    it is not (NaN and Infinity are not JSON either)."""
    text = data if isinstance(data, str) else _utf8(data, base)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        at = base + len(text[: exc.pos].encode("utf-8"))
        raise ViewError(f"{exc.msg} (line {exc.lineno}, column {exc.colno})", at) from None
    except ValueError as exc:
        raise ViewError(str(exc)) from None


def _utf8(data: bytes, base: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ViewError("not UTF-8", base + exc.start) from None


_STRING_MEMBER: dict[str, re.Pattern[str]] = {}


def string_member(text: str, key: str) -> str | None:
    """The string value of the first ``"key": "..."`` in JSON text that may be cut
    (a summary's prefix), without parsing the rest."""
    pattern = _STRING_MEMBER.get(key)
    if pattern is None:
        pattern = re.compile('"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*")')
        _STRING_MEMBER[key] = pattern
    m = pattern.search(text)
    if m is None:
        return None
    try:
        value = json.loads(m.group(1))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None
