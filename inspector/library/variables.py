"""The variables of library messages, expanded when a message is sent.

``{{uuid}}`` (a fresh random UUID), ``{{now}}`` (the time, ISO 8601 in UTC with
milliseconds), ``{{counter}}`` (the item's own counter, kept in the library file) and
``{{env:NAME}}`` (the environment variable ``NAME``). Spaces inside the braces are
allowed (``{{ uuid }}``).

Only these names are variables: any other ``{{...}}`` is sent as written, because
payloads often carry templates of their own (Handlebars, Jinja, Go templates) that
must reach the peer untouched. :func:`unknown_variables` lists them so the window
can say so, which catches a typo such as ``{{uudi}}``. An environment variable that
is not set is an error, not an empty string: a token silently missing from a login
message is worse than a message not sent.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = [
    "VARIABLE_NAMES",
    "Expander",
    "Expansion",
    "VariableError",
    "unknown_variables",
    "uses_counter",
]

#: The names :func:`Expander.expand` replaces (``env`` takes ``:NAME``).
VARIABLE_NAMES = ("uuid", "now", "counter", "env")

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w-]*)\s*(?::\s*([^{}]*?)\s*)?\}\}")


class VariableError(ValueError):
    """A variable cannot be expanded (an unset environment variable)."""


def _is_known(name: str, arg: str | None) -> bool:
    if name == "env":
        return bool(arg)
    return name in VARIABLE_NAMES and arg is None


def unknown_variables(text: str) -> list[str]:
    """The ``{{...}}`` in ``text`` that are not variables (sent as written), in order,
    each once."""
    seen: list[str] = []
    for m in _VARIABLE.finditer(text):
        if not _is_known(m.group(1), m.group(2)) and m.group(0) not in seen:
            seen.append(m.group(0))
    return seen


def uses_counter(text: str) -> bool:
    return any(m.group(1) == "counter" and m.group(2) is None for m in _VARIABLE.finditer(text))


def _new_uuid() -> str:
    # uuid imports platform, which the window's first screen does without.
    import uuid

    return str(uuid.uuid4())


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Expansion:
    """What a text became, and whether it used the counter."""

    text: str
    used_counter: bool


@dataclass(slots=True)
class Expander:
    """Expands variables; the sources are replaceable so that tests (and a preview)
    can pin them."""

    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    now: Callable[[], str] = _now_iso
    new_uuid: Callable[[], str] = _new_uuid

    def expand(self, text: str, counter: int, *, json_string: bool = False) -> Expansion:
        """``text`` with its variables replaced; ``counter`` is the item's current
        value. ``json_string``: values are escaped as the content of a JSON string
        (a JSON item whose variable sits inside quotes stays valid JSON whatever the
        environment holds). Raises :class:`VariableError`."""
        used = False

        def value(m: re.Match[str]) -> str:
            nonlocal used
            name, arg = m.group(1), m.group(2)
            if not _is_known(name, arg):
                return m.group(0)
            if name == "uuid":
                out = self.new_uuid()
            elif name == "now":
                out = self.now()
            elif name == "counter":
                used = True
                out = str(counter)
            else:
                assert arg is not None
                got = self.env.get(arg)
                if got is None:
                    raise VariableError(f"the environment variable {arg} is not set")
                out = got
            return json.dumps(out, ensure_ascii=False)[1:-1] if json_string else out

        return Expansion(_VARIABLE.sub(value, text), used)
