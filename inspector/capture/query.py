"""Which rows of a capture store pass the timeline's filters and its search, worked
out on whole columns in C-level loops (no Python step per row)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, filterfalse
from typing import Any, cast

from ..protocol.violations import Violation
from .arena import PayloadArena
from .bulk import and_masks, matcher, pattern_bytes
from .events import Direction, MessageCaptured
from .patterns import required_literal
from .scan import FEW_ROWS, search_arena, search_in_place
from .tables import _DIR_CODE

__all__ = ["StoreQueries"]


class StoreQueries:
    """The filtering half of :class:`~inspector.capture.store.CaptureStore`."""

    b0: array[int]
    dir: array[int]
    payloads: PayloadArena
    violations: dict[int, tuple[Violation, ...]]
    messages: dict[int, MessageCaptured]

    def select(
        self,
        *,
        dirs: Iterable[Direction] | None = None,
        opcodes: Iterable[int] | None = None,
        hide_ping_pong: bool = False,
        violations_only: bool = False,
    ) -> array[int]:
        """Rows that pass every filter given, in order: direction, opcode (0-15), no
        PING/PONG, only frames with violations. Works on whole columns with
        ``bytes.translate`` and ``itertools.compress`` (~0.05 s per million rows)."""
        n = len(self.b0)
        mask: bytes | None = None
        allowed = set(range(16)) if opcodes is None else {op & 0x0F for op in opcodes}
        if hide_ping_pong:
            allowed -= {0x9, 0xA}
        if len(allowed) < 16:
            table = bytes(1 if b & 0x0F in allowed else 0 for b in range(256))
            mask = self.b0.tobytes().translate(table)
        if dirs is not None:
            wanted = {_DIR_CODE[d] for d in dirs}
            if len(wanted) < 2:
                table = bytes(1 if b in wanted else 0 for b in range(256))
                dmask = self.dir.tobytes().translate(table)
                mask = dmask if mask is None else and_masks(mask, dmask)
        if violations_only:
            marked = sorted(self.violations)
            if mask is not None:
                marked = [r for r in marked if mask[r]]
            return array("q", marked)
        if mask is None:
            return array("q", range(n))
        return array("q", compress(range(n), mask))

    def search(
        self,
        pattern: str | bytes,
        *,
        regex: bool = False,
        case: bool = False,
        rows: Sequence[int] | None = None,
        messages: bool = True,
    ) -> array[int]:
        """Rows whose payload matches ``pattern``, in order.

        A ``str`` pattern is matched against the payload's UTF-8 bytes; a ``bytes``
        pattern against the bytes as they are. ``case=False`` ignores case (for a
        non-ASCII ``str`` pattern, Unicode case, on the payload decoded as UTF-8);
        ``regex=True`` takes the pattern as a regular expression (an invalid one
        raises :class:`re.error`). ``rows`` limits the search to those rows (for
        example the result of :meth:`select`). With ``messages``, the row ending a
        non-trivial message also matches when the reassembled, inflated message does:
        text split across fragments or compressed with permessage-deflate is found.

        One C-level scan of the payload arena (:mod:`.scan`): ~0.1 s per three
        million small frames when few match; patterns with anchors or lookarounds,
        and non-ASCII text ignoring case, test each payload (~0.3 s per million).
        """
        test = matcher(pattern, regex=regex, case=case)
        scope = None if rows is None else rows if isinstance(rows, array) else array("q", rows)
        needle = pattern_bytes(pattern, regex=regex, case=case)
        found = None
        if needle is not None:
            found = search_arena(self.payloads, needle, regex=regex, case=case, rows=scope)
            if found is not None and self.payloads.own:
                found = self._own_matches(found, scope, test)
        if found is None:
            found = self._search_each(pattern, needle, test, regex=regex, case=case, rows=scope)
        if messages and self.messages:
            in_scope = None if scope is None else set(scope)
            extra = [
                row
                for row, captured in self.messages.items()
                if (in_scope is None or row in in_scope) and any(test((captured.message.data,)))
            ]
            if extra:
                found = array("q", sorted(set(found).union(extra)))
        return found

    def _search_each(
        self,
        pattern: str | bytes,
        needle: bytes | None,
        test: Callable[[Iterable[bytes]], Iterator[Any]],
        *,
        regex: bool,
        case: bool,
        rows: array[int] | None,
    ) -> array[int]:
        """:meth:`search` for a pattern that cannot run over the whole arena (or
        for a few rows): the rows holding a literal that every match contains are
        found in the arena first, and only those are tested one by one; without
        such a literal, a pattern anchored at a payload's end or start is tried on
        each row's span in place, and any other on each payload."""
        payloads = self.payloads
        if rows is None or len(rows) > FEW_ROWS:
            required = required_literal(
                pattern if needle is None else needle, ignore_case=not case, regex=regex
            )
            if required is not None:
                literal, fold = required
                rows = self.search(literal, case=not fold, rows=rows, messages=False)
            elif needle is not None and regex:
                found = search_in_place(payloads, needle, case=case, rows=rows)
                if found is not None:
                    return self._own_matches(found, rows, test) if payloads.own else found
        each: Iterable[bytes]
        if regex or not case or needle is None:
            # A pattern's search and str() read a memoryview as they read bytes:
            # no copy of each payload (only ``in`` needs bytes).
            each = cast(Iterable[bytes], payloads.views(rows))
        else:
            each = payloads if rows is None else map(payloads.__getitem__, rows)
        return array("q", compress(range(len(payloads)) if rows is None else rows, test(each)))

    def _own_matches(
        self,
        found: array[int],
        scope: array[int] | None,
        test: Callable[[Iterable[bytes]], Iterator[Any]],
    ) -> array[int]:
        """``found`` (the arena's matches) with the payloads kept as their own objects
        (few: each is large) tested instead of their empty spans in the arena."""
        own = self.payloads.own
        rows = list(own) if scope is None else list(filter(own.__contains__, scope))
        hits = set(compress(rows, test(map(own.__getitem__, rows))))
        return array("q", sorted(hits.union(filterfalse(own.__contains__, found))))
