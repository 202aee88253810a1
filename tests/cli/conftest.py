"""Peers the command tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._cli_support import Serve, running_serve


@pytest.fixture(scope="module")
def serve() -> Iterator[Serve]:
    """One ``ws-inspector serve`` for the tests of a module."""
    with running_serve() as server:
        yield server
