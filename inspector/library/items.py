"""What a library holds: saved messages (:class:`LibraryItem`), how each is written in
the library's JSON file, and what sending one puts on the wire (:class:`Outgoing`).

An item is one of the things the compose pane sends: ``text``, ``json`` (text that
must stay valid JSON once its variables are expanded), ``binary``, ``ping``, ``pong``,
``close``, ``frame`` (a crafted frame, every bit the user's, possibly split), ``raw``
(bytes with no framing) or ``format`` (an application format's source fields, built
when sent: :mod:`.formats`). A payload is either ``text`` (UTF-8, variables expanded
at send time) or ``data`` (bytes, sent as they are). ``view`` names the payload view
(:mod:`inspector.views`) the item is shown with, so that a saved MessagePack or
Socket.IO payload reads as such in the library; for a ``format`` item, the format.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..protocol.crafting import CLOSE_REASON_LIMIT, CraftedFrame, crafted_specs
from ..protocol.frames import FrameSpec
from .formats import FORMAT_FIELDS, build_format, expand_fields
from .variables import Expander

__all__ = [
    "FrameBits",
    "ItemError",
    "ItemKind",
    "LibraryItem",
    "Outgoing",
    "item_from_json",
    "item_to_json",
    "prepare",
]

MAX_FRAGMENTS = 1000
_LENGTH_FORMS = {"short": 7, "medium": 16, "long": 64}
_FORM_NAMES = {v: k for k, v in _LENGTH_FORMS.items()}


class ItemKind(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    BINARY = "binary"
    PING = "ping"
    PONG = "pong"
    CLOSE = "close"
    FRAME = "frame"
    RAW = "raw"
    FORMAT = "format"


#: Kinds whose payload is text; the others' is bytes (ping, pong and frame: either).
_TEXT_KINDS = (ItemKind.TEXT, ItemKind.JSON, ItemKind.CLOSE)
_BYTES_KINDS = (ItemKind.BINARY, ItemKind.RAW)


class ItemError(ValueError):
    """An item (or its JSON) is not well formed; the message says which field."""


@dataclass(frozen=True, slots=True)
class FrameBits:
    """The header fields of a crafted frame (kind ``frame``). Masking keys are not
    kept: each send draws fresh ones (RFC 6455 §5.3)."""

    opcode: int = 1
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    mask: bool = True
    length_form: int | None = None
    declared_length: int | None = None


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One saved message. ``counter`` is the next value of ``{{counter}}``."""

    name: str
    kind: ItemKind
    text: str | None = None
    data: bytes | None = None
    folder: str = ""
    id: str = ""
    view: str | None = None
    counter: int = 1
    fragments: int = 1
    compress: bool = True
    close_code: int | None = 1000
    bits: FrameBits | None = None
    #: A ``format`` item's source, field by field (see :data:`.formats.FORMAT_FIELDS`).
    fields: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        check_item(self)

    @property
    def payload_is_text(self) -> bool:
        return self.text is not None

    def with_counter(self, value: int) -> LibraryItem:
        return replace(self, counter=value)


def check_item(item: LibraryItem) -> None:
    """Raise :class:`ItemError` when ``item`` cannot be what it says."""
    if not item.name.strip():
        raise ItemError("an item needs a name")
    if item.kind is ItemKind.FORMAT:
        if item.view not in FORMAT_FIELDS:
            raise ItemError(
                f"{item.name!r}: a format item's view is one of {', '.join(FORMAT_FIELDS)}"
            )
        if item.text is not None or item.data is not None:
            raise ItemError(f"{item.name!r}: a format item keeps its fields, not a payload")
        unknown = [k for k, _ in item.fields if k not in FORMAT_FIELDS[item.view]]
        if unknown:
            raise ItemError(f"{item.name!r}: {item.view} has no field {unknown[0]!r}")
        return
    if (item.text is None) == (item.data is None):
        raise ItemError(f"{item.name!r}: give the payload as text or as bytes, not both")
    if item.kind in _TEXT_KINDS and item.text is None:
        raise ItemError(f"{item.name!r}: a {item.kind} item's payload is text")
    if item.kind in _BYTES_KINDS and item.data is None:
        raise ItemError(f"{item.name!r}: a {item.kind} item's payload is bytes")
    if not 1 <= item.fragments <= MAX_FRAGMENTS:
        raise ItemError(f"{item.name!r}: fragments must be 1 to {MAX_FRAGMENTS}")
    if item.counter < 0:
        raise ItemError(f"{item.name!r}: the counter cannot be negative")
    if item.kind is ItemKind.FRAME and item.bits is None:
        raise ItemError(f"{item.name!r}: a frame item needs its header bits")
    if item.bits is not None and not 0 <= item.bits.opcode <= 15:
        raise ItemError(f"{item.name!r}: opcode {item.bits.opcode} does not fit in 4 bits")
    if item.bits is not None and item.bits.length_form not in (None, 7, 16, 64):
        raise ItemError(f"{item.name!r}: the length form is 7, 16 or 64 bits")
    if item.close_code is not None and not 0 <= item.close_code <= 0xFFFF:
        raise ItemError(f"{item.name!r}: a close code is 0 to 65535")


# ------------------------------------------------------------------------ sending
@dataclass(frozen=True, slots=True)
class Outgoing:
    """What sending an item does, its variables expanded: for ``text``/``json``
    :attr:`text`; ``binary``, ``ping``, ``pong``, ``raw`` :attr:`data`; ``close``
    :attr:`code` and :attr:`text` (the reason); ``frame`` :attr:`specs`.
    ``used_counter``: the counter was used, so it moves on once this is sent."""

    kind: ItemKind
    text: str = ""
    data: bytes = b""
    code: int | None = None
    specs: tuple[FrameSpec, ...] = ()
    fragments: int = 1
    compress: bool = True
    used_counter: bool = False
    #: A ``format`` item: sent as a text message (else binary).
    is_text: bool = False


def prepare(
    item: LibraryItem, expander: Expander | None = None, subprotocol: str | None = None
) -> Outgoing:
    """What sending ``item`` now sends; ``ValueError`` says why it cannot be sent (an
    unset environment variable, JSON that no longer parses, a close reason too long).
    ``subprotocol``: what the connection negotiated (a GraphQL item's protocol)."""
    ex = expander if expander is not None else Expander()
    if item.kind is ItemKind.FORMAT:
        fields, used_counter = expand_fields(dict(item.fields), item.counter, ex)
        composed = build_format(item.view or "", fields, subprotocol)
        return Outgoing(
            kind=item.kind,
            text=composed.text if composed.is_text else "",
            data=composed.payload,
            used_counter=used_counter,
            is_text=composed.is_text,
        )
    used = False
    text = ""
    data = item.data if item.data is not None else b""
    if item.text is not None:
        expansion = ex.expand(item.text, item.counter, json_string=item.kind is ItemKind.JSON)
        text, used = expansion.text, expansion.used_counter
        data = text.encode("utf-8", "surrogatepass")
    kind = item.kind
    if kind is ItemKind.JSON:
        try:
            json.loads(text)
        except ValueError as exc:
            raise ValueError(f"not valid JSON once expanded: {exc}") from None
    if kind is ItemKind.CLOSE and len(data) > CLOSE_REASON_LIMIT:
        raise ValueError(f"the close reason is over {CLOSE_REASON_LIMIT} bytes once expanded")
    specs: tuple[FrameSpec, ...] = ()
    if kind is ItemKind.FRAME:
        bits = item.bits or FrameBits()
        keys = [os.urandom(4) for _ in range(item.fragments)] if bits.mask else []
        specs = tuple(
            crafted_specs(
                CraftedFrame(
                    opcode=bits.opcode,
                    payload=data,
                    fin=bits.fin,
                    rsv1=bits.rsv1,
                    rsv2=bits.rsv2,
                    rsv3=bits.rsv3,
                    keys=keys,
                    length_form=bits.length_form,
                    declared_length=bits.declared_length,
                    fragments=item.fragments,
                )
            )
        )
    return Outgoing(
        kind=kind,
        text=text,
        data=data,
        code=item.close_code if kind is ItemKind.CLOSE else None,
        specs=specs,
        fragments=item.fragments,
        compress=item.compress,
        used_counter=used,
    )


# --------------------------------------------------------------------------- JSON
def item_to_json(item: LibraryItem) -> dict[str, Any]:
    """``item`` as the library file writes it (see docs/library.md)."""
    out: dict[str, Any] = {"id": item.id, "name": item.name, "folder": item.folder}
    out["kind"] = str(item.kind)
    if item.kind is ItemKind.FORMAT:
        out["view"] = item.view
        out["fields"] = dict(item.fields)
        out["counter"] = item.counter
        return out
    if item.text is not None:
        out["reason" if item.kind is ItemKind.CLOSE else "text"] = item.text
    else:
        out["base64"] = base64.b64encode(item.data or b"").decode("ascii")
    if item.view:
        out["view"] = item.view
    out["counter"] = item.counter
    if item.kind in (ItemKind.TEXT, ItemKind.JSON, ItemKind.BINARY, ItemKind.FRAME):
        out["fragments"] = item.fragments
    if item.kind in (ItemKind.TEXT, ItemKind.JSON, ItemKind.BINARY):
        out["compress"] = item.compress
    if item.kind is ItemKind.CLOSE:
        out["code"] = item.close_code
    if item.bits is not None and item.kind is ItemKind.FRAME:
        b = item.bits
        out["frame"] = {
            "opcode": b.opcode,
            "fin": b.fin,
            "rsv1": b.rsv1,
            "rsv2": b.rsv2,
            "rsv3": b.rsv3,
            "mask": b.mask,
            "length_form": _FORM_NAMES.get(b.length_form) if b.length_form else None,
            "declared_length": b.declared_length,
        }
    return out


def _get(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = obj.get(key, default)
    if value is default:
        return value
    # bool is an int: a number field must not take true/false, nor a flag 0/1.
    wants_bool = kind is bool
    if (wants_bool and not isinstance(value, bool)) or (
        not wants_bool and (isinstance(value, bool) or not isinstance(value, kind))
    ):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ItemError(f"{key!r} must be {_WORDS.get(names, names)}, not {json.dumps(value)}")
    return value


_WORDS = {"str": "a string", "int": "a whole number", "bool": "true or false", "dict": "an object"}


def _bits_from_json(obj: Any) -> FrameBits:
    if not isinstance(obj, dict):
        raise ItemError("'frame' must be an object")
    form = _get(obj, "length_form", str, None)
    if form is not None and form not in _LENGTH_FORMS:
        raise ItemError(f"'length_form' is one of {', '.join(_LENGTH_FORMS)}, or null")
    declared = _get(obj, "declared_length", int, None)
    if declared is not None and not 0 <= declared < 2**63:
        raise ItemError("'declared_length' must fit in 63 bits")
    return FrameBits(
        opcode=_get(obj, "opcode", int, 1),
        fin=_get(obj, "fin", bool, True),
        rsv1=_get(obj, "rsv1", bool, False),
        rsv2=_get(obj, "rsv2", bool, False),
        rsv3=_get(obj, "rsv3", bool, False),
        mask=_get(obj, "mask", bool, True),
        length_form=_LENGTH_FORMS[form] if form else None,
        declared_length=declared,
    )


def item_from_json(obj: Any) -> LibraryItem:
    """The item ``obj`` (one entry of the file's ``items``) describes; raises
    :class:`ItemError` naming the field that is wrong."""
    if not isinstance(obj, dict):
        raise ItemError("an item must be a JSON object")
    raw_kind = _get(obj, "kind", str, None)
    if raw_kind is None:
        raise ItemError("'kind' is missing")
    try:
        kind = ItemKind(raw_kind)
    except ValueError:
        raise ItemError(
            f"'kind' is one of {', '.join(k.value for k in ItemKind)}, not {raw_kind!r}"
        ) from None
    if kind is ItemKind.FORMAT:
        fields = _get(obj, "fields", dict, {})
        if not all(isinstance(v, str) for v in fields.values()):
            raise ItemError("'fields' must map names to strings")
        return LibraryItem(
            name=_get(obj, "name", str, ""),
            kind=kind,
            folder=normalize_folder(_get(obj, "folder", str, "")),
            id=_get(obj, "id", str, ""),
            view=_get(obj, "view", str, None),
            counter=_get(obj, "counter", int, 1),
            fields=tuple((str(k), v) for k, v in fields.items()),
        )
    text_key = "reason" if kind is ItemKind.CLOSE else "text"
    text = _get(obj, text_key, str, None)
    encoded = _get(obj, "base64", str, None)
    data: bytes | None = None
    if encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ItemError("'base64' is not valid base64") from None
    if kind is ItemKind.CLOSE and text is None and data is None:
        text = ""
    view = _get(obj, "view", str, None)
    code = _get(obj, "code", int, 1000) if "code" not in obj or obj["code"] is not None else None
    return LibraryItem(
        name=_get(obj, "name", str, ""),
        kind=kind,
        text=text,
        data=data,
        folder=normalize_folder(_get(obj, "folder", str, "")),
        id=_get(obj, "id", str, ""),
        view=view or None,
        counter=_get(obj, "counter", int, 1),
        fragments=_get(obj, "fragments", int, 1),
        compress=_get(obj, "compress", bool, True),
        close_code=code,
        bits=_bits_from_json(obj["frame"]) if "frame" in obj else None,
    )


def normalize_folder(path: str) -> str:
    """``" Auth / tokens/ "`` → ``"Auth/tokens"``: folders are ``/``-separated names."""
    return "/".join(part.strip() for part in path.split("/") if part.strip())
