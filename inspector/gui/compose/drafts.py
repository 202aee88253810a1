"""The compose pane and library items: fill the right tab with an item (Edit and
resend, a library item opened for editing), or make an item of what the current tab
holds (Save to library).

Loading never sends: the user sees the message in its tab, may change it, and
presses Send. An item's variables are not expanded here: the compose pane sends what
it shows, as typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QLineEdit

from ...library.items import FrameBits, ItemKind, LibraryItem
from ...protocol.crafting import format_hex, parse_hex
from ...views import compose
from .entries import (
    binary_label,
    close_label,
    control_label,
    format_label,
    frames_label,
    raw_label,
    text_label,
)
from .forms import GraphQLForm, JsonForm, SocketIOForm, StompForm

if TYPE_CHECKING:
    from .pane import ComposePane

__all__ = ["draft_item", "load_item"]


def _hex_or_text(item: LibraryItem) -> tuple[str, bool]:
    """The item's payload as the editors show it: (text, is_hex)."""
    if item.text is not None:
        return item.text, False
    return format_hex(item.data or b""), True


def load_item(pane: ComposePane, item: LibraryItem) -> int:
    """Show ``item`` in the tab that sends its kind and make that tab current;
    returns the tab's index."""
    kind = item.kind
    if kind in (ItemKind.TEXT, ItemKind.JSON):
        tab = pane.text
        tab.edit.setPlainText(item.text or "")
        tab.fragments.setValue(item.fragments)
        tab.compress.setChecked(item.compress)
        index = pane.TAB_TEXT
    elif kind is ItemKind.BINARY:
        b = pane.binary
        b.clear_file()
        b.format.setCurrentIndex(b.HEX)
        b.edit.setPlainText(format_hex(item.data or b""))
        b.fragments.setValue(item.fragments)
        b.compress.setChecked(item.compress)
        index = pane.TAB_BINARY
    elif kind in (ItemKind.PING, ItemKind.PONG):
        p = pane.ping
        (p.pong_radio if kind is ItemKind.PONG else p.ping_radio).setChecked(True)
        text, is_hex = _hex_or_text(item)
        p.format.setCurrentIndex(p.HEX if is_hex else p.TEXT)
        p.payload_edit.setText(text)
        index = pane.TAB_CONTROL
    elif kind is ItemKind.CLOSE:
        c = pane.close_tab
        found = c.code_box.findData(item.close_code)
        if found >= 0:
            c.code_box.setCurrentIndex(found)
        else:
            c.code_box.setEditText(str(item.close_code))
        c.reason.setText(item.text or "")
        index = pane.TAB_CLOSE
    elif kind is ItemKind.FRAME:
        _load_frame(pane, item)
        index = pane.TAB_FRAME
    elif kind is ItemKind.FORMAT:
        _load_format(pane, item)
        index = pane.TAB_FORMAT
    else:
        pane.raw.edit.setPlainText(format_hex(item.data or b""))
        index = pane.TAB_RAW
    pane.tabs.setCurrentIndex(index)
    return index


def _load_frame(pane: ComposePane, item: LibraryItem) -> None:
    f = pane.frame
    bits = item.bits or FrameBits()
    text, is_hex = _hex_or_text(item)
    f.payload_format.setCurrentIndex(f.HEX if is_hex else f.TEXT)
    f.payload_edit.setPlainText(text)
    f.opcode_combo.setCurrentIndex(bits.opcode)
    f.fin_check.setChecked(bits.fin)
    for box, on in zip(f.rsv_checks, (bits.rsv1, bits.rsv2, bits.rsv3), strict=True):
        box.setChecked(on)
    f.mask_check.setChecked(bits.mask)
    f.new_keys()
    forms = f.length_form_combo
    # The items hold LengthForm members, which findData does not match with an int.
    index = next((i for i in range(forms.count()) if forms.itemData(i) == bits.length_form), 0)
    forms.setCurrentIndex(index)
    f.declared_check.setChecked(bits.declared_length is not None)
    f.declared_edit.setText("" if bits.declared_length is None else str(bits.declared_length))
    f.fragments.setValue(item.fragments)


def _format_widgets(pane: ComposePane, fmt: str) -> dict[str, Any]:
    """The Format tab's widget for each field of ``fmt`` (see FORMAT_FIELDS)."""
    form = pane.format.forms[fmt]
    if isinstance(form, JsonForm):
        return {"value": form.edit}
    if isinstance(form, SocketIOForm):
        return {
            "packet": form.kind,
            "namespace": form.namespace,
            "event": form.event_name,
            "args": form.args,
            "ack": form.ack,
        }
    if isinstance(form, StompForm):
        return {"command": form.command, "headers": form.headers, "body": form.body}
    assert isinstance(form, GraphQLForm)
    return {
        "message": form.kind,
        "protocol": form.protocol,
        "id": form.id,
        "query": form.query,
        "operation": form.operation,
        "variables": form.variables,
        "payload": form.payload,
    }


#: The choices of the Format tab's combo boxes, as the library file names them.
_CHOICES: dict[str, tuple[str | None, ...]] = {
    "packet": SocketIOForm.KINDS,
    "message": GraphQLForm.KINDS,
    "protocol": tuple(p or "" for p in GraphQLForm.PROTOCOLS),
}


def _load_format(pane: ComposePane, item: LibraryItem) -> None:
    fmt = item.view or "msgpack"
    pane.format.select(fmt)
    values = dict(item.fields)
    for name, widget in _format_widgets(pane, fmt).items():
        value = values.get(name, "")
        if isinstance(widget, QComboBox):
            if name in _CHOICES:
                choices = _CHOICES[name]
                widget.setCurrentIndex(choices.index(value) if value in choices else 0)
            else:
                widget.setCurrentText(value)
        elif isinstance(widget, QLineEdit):
            widget.setText(value)
        else:
            widget.setPlainText(value)


def _draft_format(pane: ComposePane) -> LibraryItem:
    fmt = str(pane.format.format.currentData())
    fields: list[tuple[str, str]] = []
    for name, widget in _format_widgets(pane, fmt).items():
        if isinstance(widget, QComboBox):
            value = (
                str(_CHOICES[name][widget.currentIndex()] or "")
                if name in _CHOICES
                else widget.currentText()
            )
        elif isinstance(widget, QLineEdit):
            value = widget.text()
        else:
            value = widget.toPlainText()
        fields.append((name, value))
    try:
        composed = pane.format.composed()
    except ValueError:
        # Variables make it a message only once expanded ({"n": {{counter}}}).
        label = f"{fmt}  " + next((v for _, v in fields if v.strip()), "")
    else:
        label = format_label(composed.is_text, compose.summary(composed, pane.format.subprotocol()))
    return LibraryItem(_name(label)[:80], ItemKind.FORMAT, view=fmt, fields=tuple(fields))


def draft_item(pane: ComposePane) -> LibraryItem:
    """What the current tab holds as a library item (named after its history label,
    no folder yet); ``ValueError`` when the tab holds nothing that can be sent."""
    page = pane.current_page()
    if page is pane.text:
        text = pane.text.edit.toPlainText()
        n = pane.text.fragments.value()
        return LibraryItem(
            _name(text_label(text, n)),
            ItemKind.TEXT,
            text=text,
            fragments=n,
            compress=pane.text.compress.isChecked(),
        )
    if page is pane.binary:
        data = pane.binary.payload()
        n = pane.binary.fragments.value()
        return LibraryItem(
            _name(binary_label(data, n)),
            ItemKind.BINARY,
            data=data,
            fragments=n,
            compress=pane.binary.compress.isChecked(),
        )
    if page is pane.ping:
        p = pane.ping
        kind = ItemKind.PONG if p.pong_radio.isChecked() else ItemKind.PING
        is_hex = p.format.currentIndex() == p.HEX
        payload = p.payload()
        return LibraryItem(
            _name(control_label(str(kind), payload)),
            kind,
            text=None if is_hex else p.payload_edit.text(),
            data=payload if is_hex else None,
        )
    if page is pane.close_tab:
        code = pane.close_tab.code()
        reason = pane.close_tab.reason.text()
        return LibraryItem(
            _name(close_label(code, reason)), ItemKind.CLOSE, text=reason, close_code=code
        )
    if page is pane.frame:
        return _draft_frame(pane)
    if page is pane.format:
        return _draft_format(pane)
    data = parse_hex(pane.raw.edit.toPlainText())
    if not data:
        raise ValueError("type the bytes to write, in hex")
    return LibraryItem(_name(raw_label(data)), ItemKind.RAW, data=data)


def _draft_frame(pane: ComposePane) -> LibraryItem:
    f = pane.frame
    fields = f.fields()  # raises on a bad field
    is_hex = f.payload_format.currentIndex() == f.HEX
    return LibraryItem(
        _name(frames_label(f.specs())),
        ItemKind.FRAME,
        text=None if is_hex else f.payload_edit.toPlainText(),
        data=fields.payload if is_hex else None,
        fragments=fields.fragments,
        bits=FrameBits(
            opcode=fields.opcode,
            fin=fields.fin,
            rsv1=fields.rsv1,
            rsv2=fields.rsv2,
            rsv3=fields.rsv3,
            mask=bool(fields.keys),
            length_form=fields.length_form,
            declared_length=fields.declared_length,
        ),
    )


def _name(label: str) -> str:
    """A history label as an item's first name: one line, spaces squeezed."""
    return " ".join(label.split())
