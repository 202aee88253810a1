"""A file's reading problems in one line, for a banner or a status message."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_PROBLEMS_SHOWN", "problems_text"]

#: How many problems are listed before "and N more".
MAX_PROBLEMS_SHOWN = 3


def problems_text(problems: Sequence[str], limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """``"line 3: bad JSON; line 9: ... (and 4 more)"``."""
    shown = "; ".join(problems[:limit])
    more = len(problems) - limit
    return shown + (f" (and {more} more)" if more > 0 else "")
