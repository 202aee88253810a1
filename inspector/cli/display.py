"""Can the window start here? Checked before Qt is, because Qt cannot say it kindly.

Without a display, or with one of its X11 libraries missing, Qt prints advice to
reinstall the application and aborts the process (SIGABRT). :func:`display_problem`
finds these cases first and says what to do instead, in a sentence: set a display,
install the Debian/Ubuntu packages it names, or run offscreen. It looks only at the
environment and at which shared libraries load; it starts nothing.
"""

from __future__ import annotations

import os
import sys

# ctypes' own loader, without the ctypes package (~2 ms to import, and the window
# needs nothing else of it before its first paint).
from _ctypes import dlopen
from collections.abc import Callable, Mapping, Sequence
from typing import Final

__all__ = [
    "CORE_LIBRARIES",
    "WAYLAND_LIBRARIES",
    "XCB_LIBRARIES",
    "display_problem",
    "missing_libraries",
]

# The system libraries PySide6's wheels load and do not bundle, with the Debian and
# Ubuntu packages that hold them (from ``objdump -p`` on libQt6Gui, libQt6Widgets,
# libQt6XcbQpa and the platform plugins). Any platform, offscreen included:
CORE_LIBRARIES: Final = (
    ("libGL.so.1", "libgl1"),
    ("libEGL.so.1", "libegl1"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libfreetype.so.6", "libfreetype6"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libX11.so.6", "libx11-6"),
    ("libxcb.so.1", "libxcb1"),
)
#: The X11 platform (xcb).
XCB_LIBRARIES: Final = (
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-render.so.0", "libxcb-render0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-shm.so.0", "libxcb-shm0"),
    ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-util.so.1", "libxcb-util1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
)
#: The Wayland platform.
WAYLAND_LIBRARIES: Final = (
    ("libwayland-client.so.0", "libwayland-client0"),
    ("libwayland-cursor.so.0", "libwayland-cursor0"),
)

#: Platforms that need no display server at all.
_HEADLESS: Final = frozenset(("offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs"))

_OFFSCREEN_HINT: Final = (
    "QT_QPA_PLATFORM=offscreen runs it unseen, and the terminal commands need no "
    "display (ws-inspector --help)."
)


def _loads(name: str) -> bool:
    try:
        dlopen(name)
    except OSError:
        return False
    return True


def missing_libraries(
    table: Sequence[tuple[str, str]], loads: Callable[[str], bool] = _loads
) -> list[tuple[str, str]]:
    """The (library, package) pairs of ``table`` whose library does not load."""
    return [(lib, package) for lib, package in table if not loads(lib)]


def _libraries_problem(what: str, missing: list[tuple[str, str]]) -> str:
    libs = ", ".join(lib for lib, _ in missing)
    packages = " ".join(dict.fromkeys(package for _, package in missing))
    return (
        f"the window cannot start: {what} needs system libraries that are not installed "
        f"({libs}).\nOn Debian or Ubuntu: sudo apt-get install {packages}"
    )


def _x_server_answers(display: str) -> bool | None:
    """Whether a local X server listens for ``display`` (``:0``, ``unix:1.0``); None
    when the display is remote or not in a form we know (then Qt finds out)."""
    host, sep, rest = display.rpartition(":")
    if not sep or host not in ("", "unix"):
        return None
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return None
    import socket  # an X11 display only (~3 ms; asyncio loads it after the first paint)

    path = f"/tmp/.X11-unix/X{number}"
    # Linux X servers listen on an abstract socket of the same name as well.
    for address in (path, "\0" + path):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            try:
                sock.connect(address)
            except OSError:
                continue
            return True
    return False


def display_problem(
    env: Mapping[str, str] | None = None,
    *,
    platform: str = sys.platform,
    loads: Callable[[str], bool] = _loads,
    x_server_answers: Callable[[str], bool | None] = _x_server_answers,
) -> str | None:
    """Why the window cannot start in this environment, in words; None when it can
    (as far as can be told without starting Qt). Only Linux and the BSDs are checked:
    elsewhere the display is not an environment variable."""
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    env = os.environ if env is None else env
    missing = missing_libraries(CORE_LIBRARIES, loads)
    if missing:
        return _libraries_problem("Qt", missing)
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    display = env.get("DISPLAY", "").strip()
    wayland = env.get("WAYLAND_DISPLAY", "").strip()
    if chosen in _HEADLESS:
        return None
    if chosen.startswith("wayland"):
        if not wayland:
            return (
                f"the window cannot start: QT_QPA_PLATFORM={chosen} asks for Wayland, but "
                f"WAYLAND_DISPLAY is not set.\n{_OFFSCREEN_HINT}"
            )
        missing = missing_libraries(WAYLAND_LIBRARIES, loads)
        return _libraries_problem("Qt's Wayland platform", missing) if missing else None
    if chosen not in ("", "xcb"):
        return None  # a platform we do not know: Qt will say
    if not display and (chosen == "xcb" or not wayland):
        return (
            "the window needs a display, and there is none: neither DISPLAY nor "
            "WAYLAND_DISPLAY is set.\nRun it in a desktop session (or over ssh -X); "
            f"{_OFFSCREEN_HINT}"
        )
    if not display:
        # Wayland only: Qt takes its Wayland platform when it can load it.
        missing = missing_libraries(WAYLAND_LIBRARIES, loads)
        return _libraries_problem("Qt's Wayland platform", missing) if missing else None
    if wayland and chosen != "xcb" and not missing_libraries(WAYLAND_LIBRARIES, loads):
        return None  # a Wayland session: X11 is only Qt's fallback
    missing = missing_libraries(XCB_LIBRARIES, loads)
    if missing:
        return _libraries_problem("Qt's X11 platform (xcb)", missing)
    if x_server_answers(display) is False:
        return (
            f"the window cannot start: DISPLAY={display} is set, but no X server answers "
            f"there.\n{_OFFSCREEN_HINT}"
        )
    return None
