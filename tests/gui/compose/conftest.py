"""A compose pane on a session controller that is not connected, and a way to fill in
its Frame tab."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import shiboken6

from inspector.gui.compose.frame import FrameTab
from inspector.gui.compose.pane import ComposePane
from inspector.gui.session.controller import SessionController
from inspector.protocol.constants import Opcode


@pytest.fixture
def make_pane(qapp: Any) -> Iterator[Callable[[], ComposePane]]:
    """``make_pane()``: a compose pane on its own controller (``pane.session``), both
    deleted at the end of the test, in the GUI thread. Left to Python's garbage
    collector, a QObject may be freed in a worker thread (the loop's executor), which
    leaves its timers registered: a later timer event then crashes the process."""
    made: list[ComposePane] = []

    def make() -> ComposePane:
        controller = SessionController()
        widget = ComposePane(controller)
        controller.setParent(widget)  # deleted with the pane
        made.append(widget)
        return widget

    yield make
    for widget in made:
        widget.session.detach()
        shiboken6.delete(widget)


@pytest.fixture
def pane(make_pane: Callable[[], ComposePane]) -> ComposePane:
    return make_pane()


def _level(label: Any) -> str:
    return str(label.property("level") or "")


@pytest.fixture
def level() -> Callable[[Any], str]:
    """``level(label)``: the level a compose label is shown at ("", muted, warn, error)."""
    return _level


#: The Frame tab's first masking key in the tests.
KEY = bytes.fromhex("0a1b2c3d")


def _set_frame(
    pane: ComposePane,
    *,
    payload: str = "Hello",
    opcode: int = Opcode.TEXT,
    fin: bool = True,
    rsv: tuple[bool, bool, bool] = (False, False, False),
    mask: bool = True,
    key: bytes = KEY,
    form_index: int = 0,
    declared: int | None = None,
    fragments: int = 1,
) -> FrameTab:
    pane.tabs.setCurrentIndex(pane.TAB_FRAME)
    tab = pane.frame
    tab.payload_format.setCurrentIndex(tab.TEXT)
    tab.payload_edit.setPlainText(payload)
    tab.opcode_combo.setCurrentIndex(opcode)
    tab.fin_check.setChecked(fin)
    for box, on in zip(tab.rsv_checks, rsv, strict=True):
        box.setChecked(on)
    tab.mask_check.setChecked(mask)
    tab.mask_key_edit.setText(key.hex())
    tab.length_form_combo.setCurrentIndex(form_index)
    tab.declared_check.setChecked(declared is not None)
    tab.declared_edit.setText("" if declared is None else str(declared))
    tab.fragments.setValue(fragments)
    return tab


@pytest.fixture
def set_frame() -> Callable[..., FrameTab]:
    """``set_frame(pane, payload=..., rsv=..., fragments=...)``: fill in the Frame tab
    (and make it current); returns the tab."""
    return _set_frame
