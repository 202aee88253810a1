"""``python -m inspector``: the same as the ``ws-inspector`` command."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
