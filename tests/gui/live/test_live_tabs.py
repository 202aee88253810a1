"""What the proxy's and the server's window hooks share, without a window: a
connection tab's title cut to fit."""

from __future__ import annotations

from inspector.gui.live.tabs import TAB_NAME_LIMIT, tab_name


def test_a_tab_name_is_cut_to_fit_with_an_ellipsis() -> None:
    assert tab_name("⇄", 3, "/chat?room=1") == "⇄ #3 /chat?room=1"
    long = tab_name("⇆", 12, "/" + "x" * 80)
    assert len(long) == TAB_NAME_LIMIT and long.startswith("⇆ #12 /xx") and long.endswith("…")
    exact = "/" + "y" * (TAB_NAME_LIMIT - len("⇄ #1 ") - 1)
    assert tab_name("⇄", 1, exact) == f"⇄ #1 {exact}"
