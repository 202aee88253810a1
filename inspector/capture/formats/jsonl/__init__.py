"""The capture file: JSON Lines, one session line, then one line per frame or event.

The format is documented in ``docs/capture-format.md``. In short: the first line is
a ``"session"`` object naming the format and its version; then frames and events
follow in the order they happened, each a JSON object with a ``type`` and ``t``
(seconds since the session started); the last line is an ``"end"`` object with the
counts, so a file cut short at a line boundary is recognised.

:mod:`.schema` holds the format's vocabulary and the checks of each field,
:mod:`.write` the writers (a whole store, a capture as it happens), :mod:`.read`
the reading loop, :mod:`.objects` what the session and event lines hold (read field
by field), :mod:`.journal_lines` the line types only live journals write, and
:mod:`.lines` the splitting of a stream into lines.
"""

from .journal_lines import frames_head, frames_line, messages_line
from .read import LoadResult, read_jsonl, session_from_json
from .schema import (
    DECODE_NOTE,
    DEFAULT_MAX_LINE_BYTES,
    JOURNAL_UNFINISHED,
    CaptureFormatError,
    json_preview,
)
from .write import (
    CaptureLineWriter,
    end_line,
    event_line,
    frame_lines,
    iter_lines,
    session_line,
    write_jsonl,
)

__all__ = [
    "DECODE_NOTE",
    "DEFAULT_MAX_LINE_BYTES",
    "JOURNAL_UNFINISHED",
    "CaptureFormatError",
    "CaptureLineWriter",
    "LoadResult",
    "end_line",
    "event_line",
    "frame_lines",
    "frames_head",
    "frames_line",
    "iter_lines",
    "json_preview",
    "messages_line",
    "read_jsonl",
    "session_from_json",
    "session_line",
    "write_jsonl",
]
