"""New tabs start from the user's defaults, never from another tab's options."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from inspector.gui.options.defaults import (
    DEFAULTS_KEY,
    builtin_options,
    default_options,
    options_from_json,
    options_to_json,
    save_default_options,
)
from inspector.gui.session.controller import TlsOptions
from inspector.gui.window.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_a_new_tab_does_not_inherit_the_demo_subprotocol(window: MainWindow) -> None:
    first = window.current_panel()
    assert first is not None
    first.controller.options = replace(first.controller.options, subprotocols=("demo.v1",))
    second = window.new_session()
    assert second.controller.options.subprotocols == ()
    assert second.controller.options == builtin_options()


def test_saved_defaults_are_what_new_tabs_start_from(window: MainWindow, qtbot: Any) -> None:
    panel = window.current_panel()
    assert panel is not None
    panel.open_options()
    dialog = panel._options_dialog
    assert dialog is not None
    dialog.origin_edit.setText("https://mine.example")
    dialog.deflate_check.setChecked(False)
    dialog.defaults_check.setChecked(True)
    dialog.accept()
    fresh = window.new_session()
    assert fresh.controller.options.origin == "https://mine.example"
    assert fresh.controller.options.deflate is False


def test_the_defaults_round_trip_without_per_server_tls_files() -> None:
    options = replace(
        builtin_options(),
        headers=(("X-Token", "abc"),),
        subprotocols=("chat",),
        keepalive_interval=2.5,
        ping_timeout=1.5,
        ping_payload=b"hb",
        ping_late_fails=False,
        pong_delay=0.25,
        max_message_size=None,
        tls=TlsOptions(cafile="/ca.pem", insecure=True),
    )
    back = options_from_json(options_to_json(options))
    assert back == replace(options, tls=TlsOptions(insecure=True))


def test_damaged_saved_defaults_fall_back_to_the_built_in_ones() -> None:
    QSettings().setValue(DEFAULTS_KEY, "{not json")
    assert default_options() == builtin_options()
    QSettings().setValue(DEFAULTS_KEY, '{"deflate": "yes", "open_timeout": 3, "origin": 7}')
    loaded = default_options()
    assert loaded.deflate is True and loaded.open_timeout == 3.0 and loaded.origin is None
    save_default_options(replace(builtin_options(), strict=True))
    assert default_options().strict is True
