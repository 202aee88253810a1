"""Search over decoded fields: the rows whose event name, topic, destination, GraphQL
operation or JSON-RPC method contains a text.

Decoding a million payloads per keystroke is too slow; the literal rule of
:meth:`~inspector.views.base.View.fields` makes it unnecessary: a field value appears
verbatim in its payload's bytes (unless a backslash escapes it in JSON), so the
store's C-speed payload search picks the candidates and only those are decoded.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence

from .conversation import Conversation

__all__ = ["field_matches", "search_fields"]


def field_matches(
    fields: Mapping[str, str], needle: str, *, case: bool = False, field: str | None = None
) -> bool:
    """Whether a decoded field (``field``, or any) contains ``needle``."""
    if field is not None:
        values: list[str] = [fields[field]] if field in fields else []
    else:
        values = list(fields.values())
    if case:
        return any(needle in v for v in values)
    folded = needle.casefold()
    return any(folded in v.casefold() for v in values)


def search_fields(
    conv: Conversation,
    needle: str,
    *,
    case: bool = False,
    field: str | None = None,
    rows: Sequence[int] | None = None,
) -> array[int]:
    """Rows (of ``rows``, or all) whose decoded fields contain ``needle``, in order,
    each decoded by the view the row is shown with. An empty needle matches nothing."""
    if not needle:
        return array("q")
    store = conv.store
    candidates = store.search(needle, case=case, rows=rows)
    escaped = store.search(b"\\", case=True, rows=rows)
    if len(escaped):
        candidates = array("q", sorted(set(candidates).union(escaped)))
    return array(
        "q",
        (r for r in candidates if field_matches(conv.fields(r), needle, case=case, field=field)),
    )
