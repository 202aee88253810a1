"""The capture store's payloads: one append-only byte arena plus an offsets column.

A million small payloads as a million ``bytes`` objects cost ~50 bytes each beyond
their data (object header, allocator rounding, the list slot) and make a search one
Python-level call per payload. Here small payloads are copied, back to back, into one
growing ``bytearray`` and each row keeps only where its payload ends (8 bytes in an
``array('Q')``): a search is one C-level scan of the arena (:mod:`.scan`).

Large payloads (:data:`OWN_OBJECT` bytes or more) keep their own ``bytes`` object,
the one the parser made: copying a megabyte into the arena would cost time for no
gain in memory, and a detail pane can show it without a copy. Their row's span in
the arena is empty.

Reading a row returns a ``bytes`` copy of its span (small: the copy is cheap), never
a view: a ``memoryview`` held into the arena would stop it from growing in place
(:meth:`PayloadArena.views` gives views for one pass of a scan; should one be kept,
the arena grows in a copy instead of failing).
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, chain, islice
from operator import eq
from typing import Any, overload

__all__ = ["OWN_OBJECT", "PayloadArena"]

#: Payloads this long or longer keep their own object instead of a copy in the arena.
OWN_OBJECT = 4096


class _Cutters(dict[int, Callable[..., tuple[Any, ...]]]):
    """``_CUT[n](arena, start)[0]``: n bytes from ``start`` as a new ``bytes``, in one
    copy (``bytes(arena[start:end])`` makes two: measured 2x slower)."""

    def __missing__(self, n: int) -> Callable[..., tuple[Any, ...]]:
        cut = struct.Struct(f"{n}s").unpack_from
        self[n] = cut
        return cut


_CUT = _Cutters()


class PayloadArena(Sequence[bytes]):
    """A list-like sequence of payloads (``append``, ``extend``, indexing, iteration)
    stored in one arena. ``arena[row]`` is that row's payload as ``bytes``."""

    __slots__ = ("_bounds", "_data", "_own", "_own_bytes")

    def __init__(self, payloads: Iterable[bytes | bytearray | memoryview] = ()) -> None:
        #: Small payloads back to back; row i's span is [bounds[i], bounds[i + 1]).
        self._data = bytearray()
        self._bounds: array[int] = array("Q", (0,))
        #: Rows whose payload keeps its own object (rows ascending, as added).
        self._own: dict[int, bytes] = {}
        self._own_bytes = 0
        self.extend(payloads)

    # ------------------------------------------------------------------ adding
    def append(self, payload: bytes | bytearray | memoryview) -> None:
        n = len(payload)
        if n >= OWN_OBJECT:
            self._own[len(self._bounds) - 1] = payload if type(payload) is bytes else bytes(payload)
            self._own_bytes += n
            self._bounds.append(len(self._data))
            return
        # _grow inline: one call less per payload, the store's per-frame path.
        data = self._data
        try:
            data += payload
        except BufferError:
            self._data = data = data + payload
        self._bounds.append(len(data))

    def extend(self, payloads: Iterable[bytes | bytearray | memoryview]) -> None:
        batch = payloads if isinstance(payloads, list) else list(payloads)
        if not batch:
            return
        if max(map(len, batch)) >= OWN_OBJECT:
            for payload in batch:
                self.append(payload)
            return
        base = len(self._data)
        self._grow(b"".join(batch))
        # Bounds counted up in C from the lengths (no Python step per payload).
        self._bounds.extend(islice(accumulate(map(len, batch), initial=base), 1, None))

    def _grow(self, more: bytes | bytearray | memoryview) -> None:
        try:
            self._data += more
        except BufferError:
            # A view of the arena is still held somewhere (see views()): it may not
            # be resized, so go on in a copy; the view keeps the old one alive.
            self._data = self._data + more

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._bounds) - 1

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        # The common case first, inline: a row of the arena (about 4x a list's
        # index; a Python call and one copy out of the arena).
        if index.__class__ is int and index >= 0:  # type: ignore[operator]
            b = self._bounds
            start = b[index]
            end = b[index + 1]  # type: ignore[operator]
            if start != end:
                return _CUT[end - start](self._data, start)[0]  # type: ignore[no-any-return]
        if isinstance(index, slice):
            return list(map(self._at, range(*index.indices(len(self)))))
        return self._at(index)

    def _row(self, row: int) -> int:
        n = len(self._bounds) - 1
        if row < 0:
            row += n
        if not 0 <= row < n:
            raise IndexError("payload index out of range")
        return row

    def _at(self, row: int) -> bytes:
        bounds = self._bounds
        if not 0 <= row < len(bounds) - 1:
            row = self._row(row)
        start = bounds[row]
        end = bounds[row + 1]
        if start == end:
            own = self._own.get(row) if self._own else None
            return b"" if own is None else own
        return _CUT[end - start](self._data, start)[0]  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        if self._own:
            return map(self._at, range(len(self)))
        b = self._bounds
        return map(bytes, map(self._data.__getitem__, map(slice, b, islice(b, 1, None))))

    def between(self, start: int, stop: int) -> Iterator[bytes]:
        """The payloads of rows ``start`` to ``stop`` (a writer's chunk), copied out
        in C: one pass, not an index per row."""
        start, stop, _ = slice(start, stop).indices(len(self))
        if self._own:
            return map(self._at, range(start, stop))
        b = self._bounds
        # Slices of the bounds (a chunk's worth of copying), not islice: skipping to
        # ``start`` would walk every row before it, each chunk again.
        return map(
            bytes, map(self._data.__getitem__, map(slice, b[start:stop], b[start + 1 : stop + 1]))
        )

    def views(self, rows: Iterable[int] | None = None) -> Iterator[bytes | memoryview]:
        """Each row's payload (of ``rows``, or all) without a copy: a ``memoryview``
        of the arena (own-object rows: their object), for a scan that reads each
        once and keeps none (a view held on blocks the arena from growing in
        place)."""
        b = self._bounds
        view = memoryview(self._data).__getitem__
        if rows is not None:
            own = self._own
            if own:
                return (own[r] if r in own else view(slice(b[r], b[r + 1])) for r in rows)
            return map(
                view,
                map(slice, map(b.__getitem__, rows), map(b.__getitem__, map((1).__add__, rows))),
            )
        if not self._own:
            return map(view, map(slice, b, islice(b, 1, None)))
        return chain.from_iterable(self._segments(view))

    def _segments(
        self, view: Callable[[slice], memoryview]
    ) -> Iterator[Iterable[bytes | memoryview]]:
        b = self._bounds
        row = 0
        for own_row, payload in self._own.items():
            yield map(view, map(slice, b[row:own_row], b[row + 1 : own_row + 1]))
            yield (payload,)
            row = own_row + 1
        yield map(view, map(slice, b[row:-1], b[row + 1 :]))

    def size(self, row: int) -> int:
        """The length of row ``row``'s payload, without copying it."""
        row = self._row(row)
        n = self._bounds[row + 1] - self._bounds[row]
        if n or not self._own:
            return n
        own = self._own.get(row)
        return 0 if own is None else len(own)

    @property
    def nbytes(self) -> int:
        """Payload bytes held (the arena's and the payloads kept as objects)."""
        return len(self._data) + self._own_bytes

    # ------------------------------------------------------- for the searches
    @property
    def data(self) -> bytearray:
        """The arena itself, for C-level scans (read it; never keep a view of it)."""
        return self._data

    @property
    def bounds(self) -> array[int]:
        """Row i's span in :attr:`data` is ``[bounds[i], bounds[i + 1])`` (one more
        entry than rows; an own-object payload's span is empty)."""
        return self._bounds

    @property
    def own(self) -> dict[int, bytes]:
        """The rows whose payload keeps its own object, ascending."""
        return self._own

    # ------------------------------------------------------------- comparing
    def __eq__(self, other: object) -> bool:
        if isinstance(other, PayloadArena):
            return (
                self._bounds == other._bounds
                and self._data == other._data
                and self._own == other._own
            )
        if isinstance(other, list | tuple):
            return len(other) == len(self) and all(map(eq, self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"<PayloadArena {len(self):,} payloads, {self.nbytes:,} bytes>"
