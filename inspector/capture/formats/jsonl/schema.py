"""The capture format's vocabulary: names, limits, the JSON of its values, and the
checks a reader makes of each field.

What every line type holds is documented in ``docs/capture-format.md``; the writer
(:mod:`.write`) and the reader (:mod:`.read`) share what is here, so that a value is
written and checked in one way. JSON is strict both ways (RFC 8259): writers refuse
NaN and the infinities (``allow_nan=False``) and escape every non-ASCII character,
lone surrogates included (``\\ud800``, which a Python reader gives back as it was);
readers refuse ``NaN``, ``Infinity``, numbers that overflow to infinity (``1e999``)
and integers too large for their field, naming the line and the field.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from typing import Any, Final

from ....protocol.violations import Rule, Violation
from ...events import FORMAT_NAME, FORMAT_VERSION, Direction

__all__ = [
    "DECODE_NOTE",
    "DEFAULT_MAX_LINE_BYTES",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "JOURNAL_UNFINISHED",
    "CaptureFormatError",
    "json_preview",
]

#: Longest line a reader accepts. A 64 MiB frame (the default frame size limit) is
#: ~90 MiB of base64 plus, for text, its JSON text again; past this a line is damage
#: (or hostile), and reading stops before allocating more.
DEFAULT_MAX_LINE_BYTES: Final = 256 * 2**20
#: The problem of a journal that ends without its end line.
JOURNAL_UNFINISHED: Final = (
    "the capture ends without its end line: the session did not finish (crash or kill)"
)
#: The note in the session line of ``ws-inspector decode --json`` output.
DECODE_NOTE: Final = (
    "decoded by 'ws-inspector decode' from a raw byte stream, which has no session: "
    "there are no times (every t is 0) and one direction (every frame is shown as "
    "received from the peer)"
)
#: The largest integer a column holds (signed 64 bits): seq numbers, offsets, sizes.
MAX_INT64: Final = 2**63 - 1

#: JSON text of one value, compact and strict: NaN and the infinities raise ValueError.
dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
b64encode = binascii.b2a_base64
b64decode = binascii.a2b_base64

DIR_NAME: Final = {Direction.OUT: "out", Direction.IN: "in"}
DIRS: Final = {"out": Direction.OUT, "in": Direction.IN}


class CaptureFormatError(ValueError):
    """The file is not a ws-inspector capture this program can read (not JSON, another
    format, a newer version); the message says which, in plain words."""


def b64(data: bytes) -> str:
    return b64encode(data, newline=False).decode("ascii")


def json_float(x: float) -> str:
    """A float as JSON text (``repr``, the shortest form that reads back exactly).
    Raises ValueError for NaN and the infinities, which JSON has no form for."""
    if not math.isfinite(x):
        raise ValueError(f"{x!r} is not a JSON number")
    return repr(x)


# --------------------------------------------------------------------- parsing


class NotJson(float):
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to: Python's json reads them
    although JSON has no such tokens. A float (so a line holding one still parses and
    the field checks name the field), never finite, and previewed as written."""

    token: str

    def __new__(cls, token: str) -> NotJson:
        value = super().__new__(cls, token)
        value.token = token
        return value


_decode = json.JSONDecoder(parse_constant=NotJson).decode


def loads(text: str | bytes) -> Any:
    """:func:`json.loads`, with ``NaN``/``Infinity`` marked (see :class:`NotJson`);
    one decoder for every line (``json.loads`` with options makes one per call)."""
    if isinstance(text, bytes):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    return _decode(text)


def _preview_default(value: Any) -> str:
    return repr(value)


def json_preview(value: Any) -> str:
    """A value as JSON, cut to 40 characters, for messages about a bad line."""
    if isinstance(value, float) and not math.isfinite(value):
        if isinstance(value, NotJson):
            text = value.token
        elif math.isnan(value):
            text = "NaN"
        else:  # what 1e999 parses to
            text = "a number too large for a float"
    else:
        try:
            text = json.dumps(value, default=_preview_default)
        except ValueError:  # a value nested in a list or object that JSON cannot write
            text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Bad(ValueError):
    """A line that parsed as JSON but is not a valid line of its type."""


class UnknownRule(Exception):
    """A violation names a rule this version does not know (a newer writer's)."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``obj[key]``, checked to be of ``kind``; ``what`` names the kind for people."""
    if key not in obj:
        raise Bad(f'"{key}" is missing')
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise Bad(f'"{key}" must be {what}, not {json_preview(value)}')
    return value


def opt(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """Like :func:`need`, but a missing key or null gives None."""
    if obj.get(key) is None:
        return None
    return need(obj, key, kind, what)


def finite(name: str, value: int | float) -> float:
    """``value`` as a finite float, or Bad naming the field (``name``, as it is to be
    shown: ``'"t"'``): NaN, the infinities (also ``1e999``, which parses as one) and
    integers too large for a float are refused."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise Bad(f"{name} must be a finite number, not {json_preview(value)}")
    return number


def num(obj: dict[str, Any], key: str) -> float:
    return finite(f'"{key}"', need(obj, key, (int, float), "a number"))


def integer(
    obj: dict[str, Any], key: str, *, minimum: int | None = 0, maximum: int = MAX_INT64
) -> int:
    value: int = need(obj, key, int, "an integer")
    return bounded(key, value, minimum, maximum)


def opt_integer(
    obj: dict[str, Any], key: str, *, minimum: int | None = 0, maximum: int = MAX_INT64
) -> int | None:
    value: int | None = opt(obj, key, int, "an integer or null")
    return None if value is None else bounded(key, value, minimum, maximum)


def bounded(key: str, value: int, minimum: int | None, maximum: int) -> int:
    if minimum is not None and value < minimum:
        raise Bad(f'"{key}" must be at least {minimum}, not {json_preview(value)}')
    if value > maximum:
        raise Bad(f'"{key}" is too large (the most is {maximum}), not {json_preview(value)}')
    return value


def string(obj: dict[str, Any], key: str) -> str:
    value: str = need(obj, key, str, "a string")
    return value


def direction(obj: dict[str, Any]) -> Direction:
    value = obj.get("dir")
    if isinstance(value, str) and value in DIRS:
        return DIRS[value]
    raise Bad(f'"dir" must be "out" or "in", not {json_preview(value)}')


def b64_field(obj: dict[str, Any], key: str) -> bytes:
    text = string(obj, key)
    try:
        return b64decode(text, strict_mode=True)
    except ValueError as exc:
        raise Bad(f'"{key}" is not valid base64 ({exc})') from None


def violation(v: Any) -> Violation:
    """A violation object (``Violation.to_json``); UnknownRule for a rule this version
    does not know. ``rfc`` and ``close_code`` follow from the rule and are not read."""
    if not isinstance(v, dict):
        raise Bad(f"a violation must be an object, not {json_preview(v)}")
    slug = string(v, "rule")
    try:
        rule = Rule.from_slug(slug)
    except KeyError:
        raise UnknownRule(slug) from None
    offset = opt_integer(v, "offset")
    deliberate = opt(v, "deliberate", bool, "true or false")
    return Violation(rule, string(v, "message"), offset, bool(deliberate))


# The frame line exactly as the writer makes it when it has no violations, field by
# field in JSON's own grammar, so that whatever it accepts json.loads would accept
# too. Matching it costs ~1.8 us a line against ~6 us for json.loads: the difference
# between opening a million frames in ~4 s or ~8 s. The fields after "offset" up to
# "header_hex" are derived from the header and are only checked for form.
_J_STR = r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"'
_J_BOOL = r"(?:true|false)"
_J_INT = r"(?:0|[1-9][0-9]*)"
_J_NUM = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_FRAME_LINE = (
    r'\{"type":"frame","t":(' + _J_NUM + r'),"dir":"(out|in)",'
    r'"seq":(' + _J_INT + r'),"offset":(' + _J_INT + r"),"
    r'"fin":' + _J_BOOL + r',"rsv1":' + _J_BOOL + r',"rsv2":' + _J_BOOL + r","
    r'"rsv3":' + _J_BOOL + r',"opcode":' + _J_INT + r',"opcode_name":"[A-Z0-9_]+",'
    r'"masked":' + _J_BOOL + r',"mask_key":(?:null|"[0-9a-f]{8}"),'
    r'"length":' + _J_INT + r',"length_form":' + _J_INT + r","
    r'"header_hex":"((?:[0-9a-f]{2})+)","payload_b64":"([A-Za-z0-9+/]*={0,2})",'
    r'"truncated":' + _J_BOOL + r',"text":(?:null|' + _J_STR + r"),"
    r'"close_code":(?:null|' + _J_INT + r'),"close_reason":(?:null|' + _J_STR + r"),"
    r'"violations":\[\]\}\r?'
)
#: How every frame line the writer makes begins.
FRAME_PREFIX: Final = '{"type":"frame",'
FRAME_PREFIX_BYTES: Final = FRAME_PREFIX.encode("ascii")
#: The canonical frame line, for text lines and for bytes lines: its groups are t,
#: dir, seq, offset, header_hex and payload_b64.
FRAME_LINE_STR: Final = re.compile(_FRAME_LINE)
FRAME_LINE_BYTES: Final = re.compile(_FRAME_LINE.encode("ascii"))
