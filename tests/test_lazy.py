"""The one lazy-export helper the packages' ``__getattr__`` are made with."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.lazy import lazy_exports


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package ``lazypkg`` whose ``__init__`` exports ``Thing`` from ``.home`` lazily."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent(
            """
            from inspector.lazy import lazy_exports

            __getattr__ = lazy_exports(__name__, {"Thing": ".home"})
            """
        )
    )
    (root / "home.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazypkg"
    for name in ("lazypkg", "lazypkg.home"):
        sys.modules.pop(name, None)


def test_a_name_loads_its_module_when_first_used(package: str) -> None:
    import importlib

    pkg = importlib.import_module(package)
    assert f"{package}.home" not in sys.modules
    thing = pkg.Thing
    assert f"{package}.home" in sys.modules
    assert thing is sys.modules[f"{package}.home"].Thing
    assert vars(pkg)["Thing"] is thing  # kept: the next lookup is a plain attribute


def test_an_unknown_name_is_an_attribute_error(package: str) -> None:
    import importlib

    pkg = importlib.import_module(package)
    with pytest.raises(AttributeError, match="has no attribute 'Other'"):
        _ = pkg.Other
    with pytest.raises(AttributeError):
        lazy_exports(package, {})("Thing")
    assert f"{package}.home" not in sys.modules


def test_the_packages_resolve_their_names() -> None:
    from inspector.gui import detail, library, proxy, server
    from inspector.protocol import handshake

    assert handshake.AcceptCheck.__module__ == "inspector.protocol.handshake.accept"
    assert server.ServerTabs.__module__ == "inspector.gui.server.tabs"
    assert proxy.ProxyTabs.__module__ == "inspector.gui.proxy.tabs"
    assert library.WindowLibrary.__module__ == "inspector.gui.library.window"
    assert detail.FrameDetailView.__module__ == "inspector.gui.detail.view"
    assert detail.describe_fields.__module__ == "inspector.views.frame_fields"


def test_a_module_names_its_homes_as_its_own_imports_do() -> None:
    # A module (not a package): ".." is its package's parent, as in its imports.
    from inspector.capture import events
    from inspector.gui.session import controller, support

    assert events.AcceptCheck.__module__ == "inspector.protocol.handshake.accept"
    assert controller.ConnectOptions.__module__ == "inspector.engine.options"
    assert controller.Backoff.__module__ == "inspector.engine.reconnect"
    assert support.parse_listen_address.__module__ == "inspector.engine.options"
