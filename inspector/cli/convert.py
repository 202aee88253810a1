"""``ws-inspector convert IN OUT``: the capture format to HAR and back, by extension.

Exit status 0 when written; 2 with one line on standard error when not.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Final

from ..capture.store import CaptureStore
from .options import add_logging_options
from .render import peer_text

__all__ = ["register", "run"]

_KINDS: Final = {".jsonl": "jsonl", ".har": "har"}


def register(commands: Any) -> None:
    p = commands.add_parser(
        "convert",
        help="convert a capture to HAR or back (by the files' extensions)",
        description="Convert between the capture format (.jsonl: captures, journals, "
        "'capture --json' and 'decode --json' output) and HAR (.har), by the files' "
        "extensions. A HAR file with several WebSocket connections written as .jsonl "
        "gives one file per connection: OUT-1.jsonl, OUT-2.jsonl... HAR output leaves "
        "out the values of Cookie, Set-Cookie, Authorization and Proxy-Authorization "
        "unless --include-secrets. Exit status 0 when written, 2 when not.",
    )
    p.add_argument("input", metavar="IN", help="a .jsonl or .har file")
    p.add_argument("output", metavar="OUT", help="the .jsonl or .har file to write")
    p.add_argument(
        "--include-secrets",
        action="store_true",
        help="keep credential header values (cookies, authorization) in HAR output",
    )
    add_logging_options(p)
    p.set_defaults(run=run)


def _warn(text: str) -> None:
    # A file's problems quote the file, which may come from anyone.
    print(f"ws-inspector convert: warning: {peer_text(text, 500)}", file=sys.stderr)


def run(ns: argparse.Namespace) -> int:
    from ..capture.formats.har import HarFormatError, read_har, write_har
    from ..capture.formats.jsonl import CaptureFormatError, read_jsonl, write_jsonl

    def fail(message: str) -> int:
        print(f"ws-inspector convert: {peer_text(message, 500)}", file=sys.stderr)
        return 2

    kinds = []
    for path in (ns.input, ns.output):
        ext = os.path.splitext(path)[1].lower()
        if ext not in _KINDS:
            return fail(
                f"{path}: unknown extension {ext or '(none)'!r}: use .jsonl (capture "
                "format) or .har (HAR)"
            )
        kinds.append(_KINDS[ext])
    source, target = kinds
    if os.path.abspath(ns.input) == os.path.abspath(ns.output):
        return fail(f"{ns.input}: the input and the output are the same file")
    stores: list[CaptureStore] = []
    try:
        if source == "har":
            for session in read_har(ns.input):
                stores.append(session.store)
                for problem in session.problems:
                    _warn(f"{ns.input}: entry {session.entry_index + 1}: {problem}")
        else:
            result = read_jsonl(ns.input)
            stores.append(result.store)
            for problem in result.problems:
                _warn(f"{ns.input}: {problem}")
    except (CaptureFormatError, HarFormatError) as exc:
        return fail(f"{ns.input}: {exc}")
    except OSError as exc:
        return fail(f"cannot read {ns.input}: {exc.strerror or exc}")
    except MemoryError:
        return fail(f"{ns.input}: too large to convert in memory")
    base, ext = os.path.splitext(ns.output)
    if target == "har" or len(stores) == 1:
        outputs = [(ns.output, stores)]
    else:
        outputs = [(f"{base}-{n}{ext}", [store]) for n, store in enumerate(stores, 1)]
    for path, group in outputs:
        try:
            if target == "har":
                write_har(group, path, include_secrets=ns.include_secrets)
            else:
                write_jsonl(group[0], path)
        except OSError as exc:
            return fail(f"cannot write {path}: {exc.strerror or exc}")
        frames = sum(len(store) for store in group)
        print(f"{path}: {len(group)} session(s), {frames} frame(s)")
    return 0
