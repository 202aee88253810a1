"""The Text tab."""

from __future__ import annotations

import pytest

from inspector.gui.compose.pane import ComposePane

pytestmark = pytest.mark.gui


def test_text_info_and_format_json(pane: ComposePane) -> None:
    tab = pane.text
    tab.edit.setPlainText('{"a": "ü"}')
    assert "11 bytes UTF-8" in tab.info.text() and "valid JSON" in tab.info.text()
    tab.edit.setPlainText('{"a":1,"b":[1,2]}')
    tab.format_json_button.click()
    assert tab.edit.toPlainText().startswith('{\n  "a": 1')
    tab.edit.setPlainText('{"a": ')
    tab.format_json_button.click()
    assert tab.info.text().startswith("not valid JSON")
    assert pane.text_edit is tab.edit  # what the window's Compose action focuses
