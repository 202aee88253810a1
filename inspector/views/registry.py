"""The one registry of payload views: the window, the command line and reports ask it.

:func:`default_registry` holds the built-in formats, loaded on first use (so that
starting the window does not import MessagePack, CBOR or protobuf decoders). A format is
one module in :mod:`inspector.views.formats` with a ``register(registry)`` function,
named once in :data:`BUILTIN_FORMATS`.

Choosing: :meth:`Registry.best` takes the view with the highest priority (ties: the
order of registration). It asks only the views the payload's kind and first byte may
interest (:attr:`View.text_starts`, :attr:`View.binary_starts`), those promising the
most first, and stops when no view left can beat the best so far
(:attr:`View.top_priority`): a MessagePack map is rated by four views, not fourteen.
The user can force a view by name; a forced view that cannot read the payload still
renders, with its error, and the raw views (text, hex) stay one click away because
they accept everything.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping

from .base import SUMMARY_PREFIX, PayloadMeta, Rendered, Syntax, View, ViewError

__all__ = [
    "BUILTIN_FORMATS",
    "Registry",
    "default_registry",
]

log = logging.getLogger(__name__)

#: What a choice asks, in order (:meth:`Registry._asking`): each view's ceiling, its
#: place in registration order, the view and its bound ``priority``.
_Asks = tuple[tuple[float, int, View, Callable[[bytes, PayloadMeta], float]], ...]

#: Built-in formats, by module name under :mod:`inspector.views.formats`.
BUILTIN_FORMATS: tuple[str, ...] = (
    "raw",
    "msgpack",
    "cbor",
    "socketio",
    "stomp",
    "graphql",
    "jsonrpc",
    "mqtt",
    "signalr",
    "wamp",
    "protobuf",
)


class Registry:
    """Views by name, in registration order."""

    def __init__(self, views: Iterable[View] = ()) -> None:
        self._views: dict[str, View] = {}
        #: The views a payload can interest, by :meth:`_start_key`, from their
        #: :attr:`View.text_starts` and :attr:`View.binary_starts` promises; emptied
        #: on every change.
        self._by_start: dict[int, tuple[View, ...]] = {}
        #: The best view of a text payload by its first byte, where every contender
        #: promises its :attr:`View.text_priority` (None: the content decides).
        self._settled: dict[int, View | None] = {}
        #: :meth:`_asking` by :meth:`_start_key` (-2: a subprotocol negotiated).
        self._asks: dict[int, _Asks] = {}
        for view in views:
            self.add(view)

    def add(self, view: View) -> None:
        """Register ``view``; a view of the same name is replaced (a user's own view may
        replace a built-in one)."""
        self._views[view.name] = view
        self._changed()

    def remove(self, name: str) -> None:
        self._views.pop(name, None)
        self._changed()

    def _changed(self) -> None:
        self._by_start.clear()
        self._settled.clear()
        self._asks.clear()

    def __iter__(self) -> Iterator[View]:
        return iter(list(self._views.values()))

    def __len__(self) -> int:
        return len(self._views)

    def __contains__(self, name: object) -> bool:
        return name in self._views

    def names(self) -> list[str]:
        return list(self._views)

    def get(self, name: str) -> View:
        """The view called ``name``; ``KeyError`` lists the names that exist."""
        try:
            return self._views[name]
        except KeyError:
            known = ", ".join(self._views)
            raise KeyError(f"no view called {name!r} (views: {known})") from None

    # ------------------------------------------------------------------ choice
    def _start_key(self, data: bytes, meta: PayloadMeta) -> int | None:
        """Which promises a choice for ``data`` may rely on: a text (``start``) or
        binary (``512 + start``) message's first byte (256: empty), -1 for another
        opcode (only :attr:`View.top_priority` holds), None with a subprotocol."""
        if meta.subprotocol is not None:
            return None
        op = meta.opcode
        if op == 1:
            return data[0] if data else 256
        if op == 2:
            return 512 + (data[0] if data else 256)
        return -1

    def contenders(self, data: bytes, meta: PayloadMeta) -> tuple[View, ...]:
        """The views, in registration order, whose priority for ``data`` may be at
        least 0: all of them, less those whose :attr:`View.text_starts` or
        :attr:`View.binary_starts` rule the payload out by its first byte (a stream of
        text rows asks one or two views, not every one)."""
        key = self._start_key(data, meta)
        if key is None or key < 0:
            return tuple(self._views.values())
        found = self._by_start.get(key)
        if found is None:
            start = key & 0x1FF
            binary = key >= 512
            chosen = []
            for v in self._views.values():
                starts = v.binary_starts if binary else v.text_starts
                if starts is None or (start < 256 and start in starts):
                    chosen.append(v)
            found = self._by_start[key] = tuple(chosen)
        return found

    def candidates(self, data: bytes, meta: PayloadMeta) -> tuple[tuple[float, int, View], ...]:
        """The :meth:`contenders` in the order a choice asks them, each with the
        highest priority it may give (:attr:`View.top_priority`; infinite: no promise,
        or a subprotocol negotiated) and its place in registration order: highest
        first (ties: registration order), so that a choice stops as soon as no view
        left can beat the best one so far."""
        key = self._start_key(data, meta)
        rank = {name: i for i, name in enumerate(self._views)}
        inf = float("inf")
        rows = [
            (
                inf if key is None or v.top_priority is None else float(v.top_priority),
                rank[v.name],
                v,
            )
            for v in self.contenders(data, meta)
        ]
        rows.sort(key=lambda r: (-r[0], r[1]))
        return tuple(rows)

    def _asking(self, data: bytes, meta: PayloadMeta) -> _Asks:
        """:meth:`candidates`, each with its bound ``priority``, kept by the promises a
        choice for ``data`` may rely on (:meth:`_start_key`, -2 for a subprotocol)."""
        start = self._start_key(data, meta)
        key = -2 if start is None else start
        found = self._asks.get(key)
        if found is None:
            found = self._asks[key] = tuple(
                (ceiling, rank, view, view.priority)
                for ceiling, rank, view in self.candidates(data, meta)
            )
        return found

    def _priority(self, view: View, data: bytes, meta: PayloadMeta) -> float:
        try:
            return float(view.priority(data, meta))
        except Exception:  # a broken view must not hide the payload
            log.exception("view %r failed to rate a payload", view.name)
            return -1.0

    def settled(self, data: bytes, meta: PayloadMeta) -> View | None:
        """The best view for ``data`` when its kind and first byte alone decide it (a
        text payload whose every contender promises a :attr:`View.text_priority`),
        without asking any view; None when its content must be looked at."""
        if meta.opcode != 1 or meta.subprotocol is not None:
            return None
        start = data[0] if data else 256
        try:
            return self._settled[start]
        except KeyError:
            pass
        best: View | None = None
        top = -1.0
        for view in self.contenders(data, meta):
            p = view.text_priority
            if p is None:
                best = None
                break
            if p > top and p >= 0:
                best, top = view, p
        self._settled[start] = best
        return best

    def ranked(self, data: bytes, meta: PayloadMeta) -> list[tuple[float, View]]:
        """Every view that can show ``data``, best first."""
        views = self.contenders(data, meta)
        rated = [(self._priority(v, data, meta), i, v) for i, v in enumerate(views)]
        rated = [r for r in rated if r[0] >= 0]
        rated.sort(key=lambda r: (-r[0], r[1]))
        return [(p, v) for p, _, v in rated]

    def applicable(self, data: bytes, meta: PayloadMeta) -> list[View]:
        """The views a switcher lists for this payload, best first."""
        return [v for _, v in self.ranked(data, meta)]

    def best(self, data: bytes, meta: PayloadMeta) -> View:
        """The view with the highest priority for ``data`` (ties: the first
        registered), asking as few views as the promises allow."""
        if meta.opcode == 1:
            settled = self.settled(data, meta)
            if settled is not None:
                return settled
        chosen: View | None = None
        top, chosen_rank = -1.0, -1
        # (Called for every row a table paints: the rating is inlined, not _priority.)
        for ceiling, rank, view, priority in self._asking(data, meta):
            if ceiling < top or (ceiling == top and rank > chosen_rank):
                break  # (sorted: no view left can beat or tie-break the best one)
            try:
                p = priority(data, meta)  # (an int compares as well as a float)
            except Exception:  # a broken view must not hide the payload
                log.exception("view %r failed to rate a payload", view.name)
                continue
            if p >= 0 and (p > top or (p == top and rank < chosen_rank)):
                chosen, top, chosen_rank = view, p, rank
        if chosen is not None:
            return chosen
        return self.get("hex") if "hex" in self._views else next(iter(self._views.values()))

    # --------------------------------------------------------------- rendering
    def render(self, data: bytes, meta: PayloadMeta, view: str | View | None = None) -> Rendered:
        """``data`` rendered by ``view`` (a name or a view; None: the best one). Never
        raises: a view that fails renders as its error plus the payload in hex."""
        chosen = self._resolve(view, data, meta)
        try:
            return chosen.render(data, meta)
        except ViewError as exc:
            where = f" at byte {exc.offset}" if exc.offset is not None else ""
            return _failed(chosen, f"not valid {chosen.title}{where}: {exc}", data)
        except Exception as exc:  # a view's bug is reported, never raised
            log.exception("view %r failed to render a payload", chosen.name)
            return _failed(chosen, f"the {chosen.title} view failed: {exc!r}", data)

    def summary(self, data: bytes, meta: PayloadMeta, view: str | View | None = None) -> str:
        """One line for a table row, reading at most :data:`SUMMARY_PREFIX` bytes."""
        prefix = data[:SUMMARY_PREFIX]
        chosen = self._resolve(view, prefix, meta)
        try:
            line = chosen.summary(prefix, meta)
        except Exception:
            log.debug("view %r has no summary for this payload", chosen.name, exc_info=True)
            line = None
        if line is None:
            fallback = self._views.get("text") or self._views.get("hex")
            if fallback is not None and fallback is not chosen:
                try:
                    line = fallback.summary(prefix, meta)
                except Exception:
                    log.exception("view %r failed to summarise a payload", fallback.name)
        return line or ""

    def fields(
        self, data: bytes, meta: PayloadMeta, view: str | View | None = None
    ) -> Mapping[str, str]:
        """The decoded values a search matches (see :meth:`View.fields`); empty when
        the view has none or cannot read the payload. Never raises."""
        chosen = self._resolve(view, data, meta)
        try:
            return chosen.fields(data, meta)
        except ViewError:
            return {}
        except Exception:
            log.exception("view %r failed to give the fields of a payload", chosen.name)
            return {}

    def _resolve(self, view: str | View | None, data: bytes, meta: PayloadMeta) -> View:
        if isinstance(view, View):
            return view
        if view is not None:
            return self.get(view)
        return self.best(data, meta)


def _failed(view: View, message: str, data: bytes) -> Rendered:
    shown = data[:4096].hex(" ")
    more = f"\n... ({len(data) - 4096} more bytes)" if len(data) > 4096 else ""
    return Rendered(view.name, shown + more, Syntax.HEX, error=message)


_default: Registry | None = None
_lock = threading.Lock()


def default_registry() -> Registry:
    """The built-in views, loaded on first use."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                registry = Registry()
                for name in BUILTIN_FORMATS:
                    module = importlib.import_module(f"{__package__}.formats.{name}")
                    module.register(registry)
                _default = registry
    return _default
