"""The detail pane's rich-text escaping is html.escape's, without the html package."""

from __future__ import annotations

import html

import pytest

from inspector.gui.detail.common import esc


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain",
        "<b>bold</b> & 'quoted' \"twice\"",
        "&amp; stays escaped once more: &lt;",
        "\u00e9\u2603 \U0001f44b <\x00>",
        "<" * 50 + "&" * 50,
    ],
)
def test_esc_is_html_escape(text: str) -> None:
    assert esc(text) == html.escape(text, quote=True)
