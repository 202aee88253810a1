"""UTF-8 (RFC 6455 §8.1; RFC 3629): text messages must be valid UTF-8, checked as they come.

The valid and invalid sequences are Markus Kuhn's UTF-8 decoder capability and stress
test, re-expressed as cases; the tables are data."""

from __future__ import annotations

from ..model import Blob, Chopped, Echo, Fail, Frames, Pause, Sync
from .kit import CONT, PING, TEXT, Registry, bytewise, frame, split

__all__ = ["add"]


# The Markus Kuhn UTF-8 decoder capability and stress test, re-expressed as cases.
#: Markus Kuhn's "κόσμε", with U+1F79 (3 bytes) for the accented omicron.
_KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
_VALID: tuple[tuple[str, str, bytes], ...] = (
    ("6.5.1", "Greek 'kosme' (κόσμε)", _KOSME),
    ("6.7.1", "First 1-byte sequence: U+0000", b"\x00"),
    ("6.7.2", "First 2-byte sequence: U+0080", b"\xc2\x80"),
    ("6.7.3", "First 3-byte sequence: U+0800", b"\xe0\xa0\x80"),
    ("6.7.4", "First 4-byte sequence: U+10000", b"\xf0\x90\x80\x80"),
    ("6.9.1", "Last 1-byte sequence: U+007F", b"\x7f"),
    ("6.9.2", "Last 2-byte sequence: U+07FF", b"\xdf\xbf"),
    ("6.9.3", "Last 3-byte sequence: U+FFFF", b"\xef\xbf\xbf"),
    ("6.9.4", "Last code point: U+10FFFF", b"\xf4\x8f\xbf\xbf"),
    ("6.11.1", "U+D7FF (just below the surrogates)", b"\xed\x9f\xbf"),
    ("6.11.2", "U+E000 (just above the surrogates)", b"\xee\x80\x80"),
    ("6.11.3", "U+FFFD replacement character", b"\xef\xbf\xbd"),
    ("6.11.4", "U+10FFFF in a sentence", b"max: \xf4\x8f\xbf\xbf."),
    ("6.22.1", "Noncharacter U+FFFE", b"\xef\xbf\xbe"),
    ("6.22.2", "Noncharacter U+FFFF", b"\xef\xbf\xbf"),
    ("6.22.3", "Noncharacter U+1FFFE", b"\xf0\x9f\xbf\xbe"),
    ("6.22.4", "Noncharacter U+1FFFF", b"\xf0\x9f\xbf\xbf"),
    ("6.22.5", "Noncharacter U+FDD0", b"\xef\xb7\x90"),
    ("6.22.6", "Noncharacter U+FDEF", b"\xef\xb7\xaf"),
    ("6.22.7", "Noncharacter U+10FFFE", b"\xf4\x8f\xbf\xbe"),
    ("6.22.8", "Noncharacter U+7FFFE", b"\xf1\xbf\xbf\xbe"),
    ("6.23.1", "Byte order mark U+FEFF", b"\xef\xbb\xbf"),
    ("6.23.2", "Mixed scripts with a 4-byte emoji", "Hello 世界 Γειά 😀!".encode()),
    ("6.23.3", "Hello-µ@ßöäüàá-UTF-8!!", "Hello-µ@ßöäüàá-UTF-8!!".encode()),
)

_INVALID: tuple[tuple[str, str, bytes], ...] = (
    ("6.3.1", "'κόσμε' with a surrogate (U+D800) inside", _KOSME + b"\xed\xa0\x80edited"),
    ("6.8.1", "First 5-byte sequence (U+200000)", b"\xf8\x88\x80\x80\x80"),
    ("6.8.2", "First 6-byte sequence (U+4000000)", b"\xfc\x84\x80\x80\x80\x80"),
    ("6.10.1", "4-byte sequence above U+10FFFF (U+1FFFFF)", b"\xf7\xbf\xbf\xbf"),
    ("6.10.2", "Last 5-byte sequence (U+3FFFFFF)", b"\xfb\xbf\xbf\xbf\xbf"),
    ("6.10.3", "Last 6-byte sequence (U+7FFFFFFF)", b"\xfd\xbf\xbf\xbf\xbf\xbf"),
    ("6.11.5", "U+110000, just above the last code point", b"\xf4\x90\x80\x80"),
    ("6.12.1", "Lone continuation byte 0x80", b"\x80"),
    ("6.12.2", "Lone continuation byte 0xBF", b"\xbf"),
    ("6.12.3", "2 continuation bytes", b"\x80\xbf"),
    ("6.12.4", "3 continuation bytes", b"\x80\xbf\x80"),
    ("6.12.5", "4 continuation bytes", b"\x80\xbf\x80\xbf"),
    ("6.12.6", "5 continuation bytes", b"\x80\xbf\x80\xbf\x80"),
    ("6.12.7", "6 continuation bytes", b"\x80\xbf\x80\xbf\x80\xbf"),
    ("6.12.8", "All 64 continuation bytes 0x80-0xBF", bytes(range(0x80, 0xC0))),
    (
        "6.13.1",
        "Lonely 2-byte lead bytes 0xC0-0xDF, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xC0, 0xE0)),
    ),
    (
        "6.13.2",
        "Lonely 3-byte lead bytes 0xE0-0xEF, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xE0, 0xF0)),
    ),
    (
        "6.13.3",
        "Lonely 4-byte lead bytes 0xF0-0xF7, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xF0, 0xF8)),
    ),
    (
        "6.13.4",
        "Lonely 5-byte lead bytes 0xF8-0xFB, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xF8, 0xFC)),
    ),
    (
        "6.13.5",
        "Lonely 6-byte lead bytes 0xFC-0xFD, each followed by a space",
        b"".join(bytes((b, 0x20)) for b in range(0xFC, 0xFE)),
    ),
    ("6.14.1", "2-byte sequence with its last byte missing (U+0000)", b"\xc0"),
    ("6.14.2", "3-byte sequence with its last byte missing (U+0000)", b"\xe0\x80"),
    ("6.14.3", "4-byte sequence with its last byte missing (U+0000)", b"\xf0\x80\x80"),
    ("6.14.4", "5-byte sequence with its last byte missing", b"\xf8\x80\x80\x80"),
    ("6.14.5", "6-byte sequence with its last byte missing", b"\xfc\x80\x80\x80\x80"),
    ("6.14.6", "2-byte sequence with its last byte missing (U+07FF)", b"\xdf"),
    ("6.14.7", "3-byte sequence with its last byte missing (U+FFFF)", b"\xef\xbf"),
    ("6.14.8", "4-byte sequence with its last byte missing", b"\xf7\xbf\xbf"),
    ("6.14.9", "5-byte sequence with its last byte missing", b"\xfb\xbf\xbf\xbf"),
    ("6.14.10", "6-byte sequence with its last byte missing", b"\xfd\xbf\xbf\xbf\xbf"),
    (
        "6.15.1",
        "All the truncated sequences above, concatenated",
        b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80"
        b"\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf",
    ),
    ("6.16.1", "Impossible byte 0xFE", b"\xfe"),
    ("6.16.2", "Impossible byte 0xFF", b"\xff"),
    ("6.16.3", "Impossible bytes 0xFE 0xFE 0xFF 0xFF", b"\xfe\xfe\xff\xff"),
    ("6.17.1", "Overlong '/' in 2 bytes", b"\xc0\xaf"),
    ("6.17.2", "Overlong '/' in 3 bytes", b"\xe0\x80\xaf"),
    ("6.17.3", "Overlong '/' in 4 bytes", b"\xf0\x80\x80\xaf"),
    ("6.17.4", "Overlong '/' in 5 bytes", b"\xf8\x80\x80\x80\xaf"),
    ("6.17.5", "Overlong '/' in 6 bytes", b"\xfc\x80\x80\x80\x80\xaf"),
    ("6.18.1", "Largest overlong 2-byte sequence (U+007F)", b"\xc1\xbf"),
    ("6.18.2", "Largest overlong 3-byte sequence (U+07FF)", b"\xe0\x9f\xbf"),
    ("6.18.3", "Largest overlong 4-byte sequence (U+FFFF)", b"\xf0\x8f\xbf\xbf"),
    ("6.18.4", "Largest overlong 5-byte sequence", b"\xf8\x87\xbf\xbf\xbf"),
    ("6.18.5", "Largest overlong 6-byte sequence", b"\xfc\x83\xbf\xbf\xbf\xbf"),
    ("6.19.1", "Overlong NUL in 2 bytes", b"\xc0\x80"),
    ("6.19.2", "Overlong NUL in 3 bytes", b"\xe0\x80\x80"),
    ("6.19.3", "Overlong NUL in 4 bytes", b"\xf0\x80\x80\x80"),
    ("6.19.4", "Overlong NUL in 5 bytes", b"\xf8\x80\x80\x80\x80"),
    ("6.19.5", "Overlong NUL in 6 bytes", b"\xfc\x80\x80\x80\x80\x80"),
    ("6.20.1", "Single surrogate U+D800", b"\xed\xa0\x80"),
    ("6.20.2", "Single surrogate U+DB7F", b"\xed\xad\xbf"),
    ("6.20.3", "Single surrogate U+DB80", b"\xed\xae\x80"),
    ("6.20.4", "Single surrogate U+DBFF", b"\xed\xaf\xbf"),
    ("6.20.5", "Single surrogate U+DC00", b"\xed\xb0\x80"),
    ("6.20.6", "Single surrogate U+DF80", b"\xed\xbe\x80"),
    ("6.20.7", "Single surrogate U+DFFF", b"\xed\xbf\xbf"),
    ("6.21.1", "Surrogate pair U+D800 U+DC00", b"\xed\xa0\x80\xed\xb0\x80"),
    ("6.21.2", "Surrogate pair U+D800 U+DFFF", b"\xed\xa0\x80\xed\xbf\xbf"),
    ("6.21.3", "Surrogate pair U+DB7F U+DC00", b"\xed\xad\xbf\xed\xb0\x80"),
    ("6.21.4", "Surrogate pair U+DB7F U+DFFF", b"\xed\xad\xbf\xed\xbf\xbf"),
    ("6.21.5", "Surrogate pair U+DB80 U+DC00", b"\xed\xae\x80\xed\xb0\x80"),
    ("6.21.6", "Surrogate pair U+DB80 U+DFFF", b"\xed\xae\x80\xed\xbf\xbf"),
    ("6.21.7", "Surrogate pair U+DBFF U+DC00", b"\xed\xaf\xbf\xed\xb0\x80"),
    ("6.21.8", "Surrogate pair U+DBFF U+DFFF", b"\xed\xaf\xbf\xed\xbf\xbf"),
)

#: Invalid sequences that are also sent one byte per fragment.
_SPLIT_INVALID = ("6.3.1", "6.11.5", "6.16.2", "6.17.1", "6.19.2", "6.20.1", "6.14.3")


def add(r: Registry) -> None:
    c = "utf8"
    invalid = Fail((1007,))
    r.add("6.1.1", c, "Empty text message", [Frames((frame(TEXT),))], Echo(((TEXT, b""),)))
    r.add(
        "6.1.2",
        c,
        "Empty text message in 3 empty fragments",
        [Frames(split(TEXT, b"", [0, 0]))],
        Echo(((TEXT, b""),)),
    )
    r.add(
        "6.1.3",
        c,
        "Text message: empty fragment, 'middle', empty fragment",
        [Frames(split(TEXT, b"middle", [0, 6]))],
        Echo(((TEXT, b"middle"),)),
    )
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    r.add(
        "6.2.1",
        c,
        "Valid UTF-8 text in 2 fragments split between code points",
        [Frames(split(TEXT, hello, [8]))],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.2.2",
        c,
        "Valid UTF-8 text in 1-byte fragments (code points split across frames)",
        [Frames(bytewise(TEXT, hello))],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.2.3",
        c,
        "Valid UTF-8 text written 1 byte at a time",
        [Chopped((frame(TEXT, hello),), chunk=1)],
        Echo(((TEXT, hello),)),
    )
    r.add(
        "6.5.2",
        c,
        "'κόσμε' in fragments of one code point",
        [Frames(split(TEXT, _KOSME, [2, 5, 7, 9]))],
        Echo(((TEXT, _KOSME),)),
    )
    r.add(
        "6.5.3",
        c,
        "'κόσμε' in 1-byte fragments",
        [Frames(bytewise(TEXT, _KOSME))],
        Echo(((TEXT, _KOSME),)),
    )
    for case_id, title, data in _VALID:
        r.add(
            case_id,
            c,
            f"Valid UTF-8: {title}",
            [Frames((frame(TEXT, data),))],
            Echo(((TEXT, data),)),
        )
    for i in range(1, len(_KOSME) + 1):
        prefix = _KOSME[:i]
        whole = i in (2, 5, 7, 9, 11)
        r.add(
            f"6.6.{i}",
            c,
            f"First {i} byte{'s' if i > 1 else ''} of 'κόσμε'"
            + ("" if whole else " (ends inside a code point)"),
            [Frames((frame(TEXT, prefix),))],
            Echo(((TEXT, prefix),)) if whole else invalid,
        )
    emoji = "😀".encode()
    for cut in (1, 2, 3):
        r.add(
            f"6.25.{cut}",
            c,
            f"4-byte code point split across 2 fragments after byte {cut}",
            [Frames(split(TEXT, b"smile " + emoji, [6 + cut]))],
            Echo(((TEXT, b"smile " + emoji),)),
        )
    for case_id, title, data in _INVALID:
        r.add(case_id, c, f"Invalid UTF-8: {title}", [Frames((frame(TEXT, data),))], invalid)
    for i, case_id in enumerate(_SPLIT_INVALID, 1):
        title, data = next((t, d) for k, t, d in _INVALID if k == case_id)
        r.add(
            f"6.24.{i}",
            c,
            f"Invalid UTF-8 in 1-byte fragments: {title}",
            [Frames(bytewise(TEXT, data))],
            invalid,
        )
    r.add(
        "6.26.1",
        c,
        "Valid first fragment, invalid byte 0xFE in the second",
        [Frames(split(TEXT, b"Hello, \xfe world", [7]))],
        invalid,
    )
    r.add(
        "6.26.2",
        c,
        "Invalid UTF-8 text inside a fragmented message with a ping between the fragments",
        [Frames((frame(TEXT, b"ok ", fin=False), frame(PING, b"p"), frame(CONT, b"\xed\xa0\x80")))],
        invalid,
    )
    # Fail fast (section 8.1 makes the check incremental): the verdict should come
    # when the offending bytes arrive, not when the message ends.
    part1, part2, part3 = _KOSME, b"\xf4\x90\x80\x80", b"edited"
    r.add(
        "6.4.1",
        c,
        "Fail fast: valid fragment, then U+110000 in a fragment, then the rest",
        [
            Frames((frame(TEXT, part1, fin=False),)),
            Sync(),
            Frames((frame(CONT, part2, fin=False),)),
            Sync(),
            Frames((frame(CONT, part3),)),
        ],
        Fail((1007,), by_phase=1),
    )
    r.add(
        "6.4.2",
        c,
        "Fail fast: code point split across fragments, invalid byte in the second",
        [
            Frames((frame(TEXT, part1 + b"\xf4", fin=False),)),
            Sync(),
            Frames((frame(CONT, b"\x90", fin=False),)),
            Sync(),
            Frames((frame(CONT, b"\x80\x80" + part3),)),
        ],
        Fail((1007,), by_phase=1),
    )
    spec = frame(TEXT, part1 + part2 + part3 + Blob(64).make())
    head = 6 + len(part1) + len(part2)  # 2-byte header, 4-byte key, payload up to U+110000
    r.add(
        "6.4.3",
        c,
        "Fail fast within one frame: the frame up to the invalid bytes, the rest 0.5 s later",
        [Chopped((spec,), upto=head), Pause(0.5), Chopped((spec,), start=head)],
        Fail((1007,), by_phase=0),
    )
    r.add(
        "6.4.4",
        c,
        "Fail fast: invalid first fragment of a message that never ends",
        [Frames((frame(TEXT, b"\xfe\xff", fin=False),)), Sync()],
        Fail((1007,), by_phase=0, ignore_ok=True),
    )
