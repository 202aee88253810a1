"""The user's defaults for new tabs: built-in defaults, overridden by what the user
saved from the options dialog ("Use for new tabs"), kept in QSettings as JSON.

A new tab starts from these, never from another tab's options: a subprotocol set
for one server (the demo's ``demo.v1``) must not follow into the next connection.
TLS files and the SNI name belong to one server and are not kept as defaults."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings

from ..session.controller import builtin_options

if TYPE_CHECKING:
    from ..session.controller import ConnectOptions

__all__ = [
    "DEFAULTS_KEY",
    "builtin_options",
    "clear_default_options",
    "default_options",
    "default_options_later",
    "options_from_json",
    "options_to_json",
    "save_default_options",
]

log = logging.getLogger(__name__)

DEFAULTS_KEY = "options/defaults"


@cache
def _kept() -> tuple[str, ...]:
    """What a default keeps: everything but the per-server TLS files and the read
    size (the window's own choice)."""
    from dataclasses import fields

    from ..session.controller import ConnectOptions

    return tuple(f.name for f in fields(ConnectOptions) if f.name not in ("tls", "read_size"))


def options_to_json(options: ConnectOptions) -> str:
    import json

    data: dict[str, Any] = {name: getattr(options, name) for name in _kept()}
    data["headers"] = [list(h) for h in options.headers]
    data["subprotocols"] = list(options.subprotocols)
    data["tls_insecure"] = options.tls.insecure
    # Bytes have no JSON form: the payload is typed as text in the dialog.
    data["ping_payload"] = options.ping_payload.decode("utf-8", "replace")
    return json.dumps(data, sort_keys=True)


def options_from_json(text: str) -> ConnectOptions:
    """The options saved by :func:`options_to_json` over the built-in defaults;
    unknown or mistyped values are left at their defaults (raises ValueError for
    text that is not a JSON object)."""
    import json
    from dataclasses import replace

    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the saved defaults are not a JSON object")
    base = builtin_options()
    changes: dict[str, Any] = {}
    for name in _kept():
        if name not in data:
            continue
        value, current = data[name], getattr(base, name)
        if name == "headers" and isinstance(value, list):
            changes[name] = tuple(
                (str(h[0]), str(h[1])) for h in value if isinstance(h, list) and len(h) == 2
            )
        elif name == "subprotocols" and isinstance(value, list):
            changes[name] = tuple(str(v) for v in value)
        elif name == "ping_payload" and isinstance(value, str):
            payload = value.encode("utf-8")
            if len(payload) <= 125:
                changes[name] = payload
        elif name == "origin":
            changes[name] = value if isinstance(value, str) and value else None
        elif value is None or type(value) is type(current):
            changes[name] = value
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and (current is None or isinstance(current, float))
        ):
            # A number where the default is another kind of number, or None.
            changes[name] = float(value) if isinstance(current, float) else value
    if data.get("tls_insecure") is True:
        from ..session.controller import TlsOptions

        changes["tls"] = TlsOptions(insecure=True)
    return replace(base, **changes)


def default_options() -> ConnectOptions:
    """The options a new tab starts with."""
    return default_options_later()()


def default_options_later() -> Callable[[], ConnectOptions]:
    """:func:`default_options` as saved now, made when called (a new tab's options are
    made when first needed: the engine's option types load then)."""
    saved = QSettings().value(DEFAULTS_KEY)
    return lambda: _options_from_saved(saved)


def _options_from_saved(saved: object) -> ConnectOptions:
    if not isinstance(saved, str) or not saved:
        return builtin_options()
    try:
        return options_from_json(saved)
    except ValueError as exc:
        log.warning("ignoring the saved default options: %s", exc)
        return builtin_options()


def save_default_options(options: ConnectOptions) -> None:
    QSettings().setValue(DEFAULTS_KEY, options_to_json(options))


def clear_default_options() -> None:
    QSettings().remove(DEFAULTS_KEY)
