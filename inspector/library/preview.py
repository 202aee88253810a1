"""What the library panel says about an item, without Qt: one line for its row, and a
preview of its payload (through the item's payload view when it names one), with
warnings about what sending it will do."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.constants import close_code_name, opcode_name
from ..protocol.crafting import format_hex
from ..views.base import PayloadMeta
from ..views.registry import Registry, default_registry
from ..views.text import escape_control, format_bytes, shorten
from .items import ItemKind, LibraryItem
from .variables import unknown_variables, uses_counter

__all__ = ["ItemPreview", "item_line", "preview"]

_PREVIEW_CHARS = 4000
_OPCODE_OF = {
    ItemKind.TEXT: 1,
    ItemKind.JSON: 1,
    ItemKind.BINARY: 2,
    ItemKind.PING: 9,
    ItemKind.PONG: 10,
    ItemKind.CLOSE: 8,
}


def item_line(item: LibraryItem) -> str:
    """``TEXT  Login``: the kind and the name (control characters escaped)."""
    return f"{item.kind.upper():<6} {escape_control(shorten(item.name, 80))}"


@dataclass(frozen=True, slots=True)
class ItemPreview:
    header: str
    body: str
    warnings: tuple[str, ...]


def preview(item: LibraryItem, registry: Registry | None = None) -> ItemPreview:
    """The item as the panel shows it: a header (kind, size, options), its payload
    (text as typed, bytes through its view or in hex) and warnings."""
    reg = registry if registry is not None else default_registry()
    data = item.text.encode("utf-8", "surrogatepass") if item.text is not None else item.data
    data = data or b""
    size = (
        f"{sum(1 for _, v in item.fields if v)} field(s), built when sent"
        if item.kind is ItemKind.FORMAT
        else format_bytes(len(data))
    )
    parts = [str(item.kind).upper(), size]
    if item.fragments > 1:
        parts.append(f"{item.fragments} frames")
    if item.kind is ItemKind.CLOSE:
        code = item.close_code
        parts.append("no code" if code is None else f"{code} {close_code_name(code)}")
    if item.bits is not None and item.kind is ItemKind.FRAME:
        b = item.bits
        flags = "F" if b.fin else "-"
        flags += "".join("1" if x else "-" for x in (b.rsv1, b.rsv2, b.rsv3))
        parts.append(f"0x{b.opcode:X} {opcode_name(b.opcode)} {flags}")
        parts.append("masked" if b.mask else "unmasked")
    if item.view:
        parts.append(f"{'format' if item.kind is ItemKind.FORMAT else 'view'}: {item.view}")
    if uses_counter(item.text or "") or any(uses_counter(v) for _, v in item.fields):
        parts.append(f"next counter: {item.counter}")
    warnings: list[str] = []
    if item.kind is ItemKind.FORMAT:
        body = "\n".join(f"{k}: {v}" for k, v in item.fields if v)
        for _, v in item.fields:
            unknown = unknown_variables(v)
            if unknown:
                warnings.append("sent as written (not variables): " + ", ".join(unknown))
    elif item.text is not None:
        body = item.text
        unknown = unknown_variables(item.text)
        if unknown:
            warnings.append("sent as written (not variables): " + ", ".join(unknown))
    elif item.view and item.view in reg:
        opcode = item.bits.opcode if item.bits is not None else _OPCODE_OF.get(item.kind, 2)
        rendered = reg.render(data, PayloadMeta(opcode=opcode), item.view)
        body = rendered.text
        if rendered.error:
            warnings.append(rendered.error)
    else:
        body = format_hex(data)
    if item.view and item.view not in reg and item.kind is not ItemKind.FORMAT:
        warnings.append(f"no payload view called {item.view!r}: shown in hex")
    if len(body) > _PREVIEW_CHARS:
        body = body[:_PREVIEW_CHARS] + "\n…"
    return ItemPreview(" · ".join(parts), escape_control(body, keep_newlines=True), tuple(warnings))
