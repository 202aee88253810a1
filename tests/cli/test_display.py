"""The check for a usable display, before Qt starts: what it says in each case.

The environment and which libraries load are given to the check, so that every case
runs here whatever this machine has installed; the X server probe is tried against
a real socket."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

import pytest

from inspector.cli.display import (
    CORE_LIBRARIES,
    WAYLAND_LIBRARIES,
    XCB_LIBRARIES,
    _x_server_answers,
    display_problem,
    missing_libraries,
)


def loads_all_but(*missing: str) -> Callable[[str], bool]:
    return lambda name: name not in missing


def check(env: dict[str, str], *missing: str, x_server: bool | None = True) -> str | None:
    return display_problem(
        env, platform="linux", loads=loads_all_but(*missing), x_server_answers=lambda _: x_server
    )


def test_a_desktop_session_is_fine() -> None:
    assert check({"DISPLAY": ":0"}) is None
    assert check({"WAYLAND_DISPLAY": "wayland-0"}) is None
    assert check({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}) is None


def test_no_display_at_all() -> None:
    problem = check({})
    assert problem is not None
    assert problem.startswith("the window needs a display, and there is none: neither DISPLAY")
    assert "QT_QPA_PLATFORM=offscreen" in problem
    assert check({"DISPLAY": "  "}) == problem  # blank is not set


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "offscreen:fontengine=freetype"])
def test_headless_platforms_need_no_display(platform: str) -> None:
    assert check({"QT_QPA_PLATFORM": platform}) is None
    # ... nor the X11 libraries.
    assert check({"QT_QPA_PLATFORM": platform}, "libxcb-cursor.so.0") is None


def test_missing_x11_libraries_name_the_packages() -> None:
    problem = check({"DISPLAY": ":0"}, "libxcb-cursor.so.0", "libxcb-icccm.so.4")
    assert problem == (
        "the window cannot start: Qt's X11 platform (xcb) needs system libraries that are "
        "not installed (libxcb-cursor.so.0, libxcb-icccm.so.4).\n"
        "On Debian or Ubuntu: sudo apt-get install libxcb-cursor0 libxcb-icccm4"
    )


def test_missing_core_libraries_come_first() -> None:
    problem = check({"QT_QPA_PLATFORM": "offscreen"}, "libEGL.so.1")
    assert problem is not None and problem.endswith("sudo apt-get install libegl1")


def test_wayland() -> None:
    # A Wayland session whose Wayland libraries load: X11 is only Qt's fallback.
    assert check({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, "libxcb-cursor.so.0") is None
    problem = check({"WAYLAND_DISPLAY": "w"}, "libwayland-cursor.so.0")
    assert problem is not None and problem.endswith("apt-get install libwayland-cursor0")
    problem = check({"QT_QPA_PLATFORM": "wayland"})
    assert problem is not None and "WAYLAND_DISPLAY is not set" in problem
    # Asked for X11 in a Wayland session: its libraries count.
    problem = check({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":0", "WAYLAND_DISPLAY": "w"},
                    "libxcb-keysyms.so.1")  # fmt: skip
    assert problem is not None and problem.endswith("apt-get install libxcb-keysyms1")


def test_no_x_server_at_the_display() -> None:
    problem = check({"DISPLAY": ":7"}, x_server=False)
    assert problem is not None
    assert problem.startswith("the window cannot start: DISPLAY=:7 is set, but no X server")
    assert check({"DISPLAY": "remote:10.0"}, x_server=None) is None  # Qt finds out


def test_other_systems_are_not_checked() -> None:
    assert display_problem({}, platform="darwin") is None
    assert display_problem({}, platform="win32") is None


def test_the_library_tables() -> None:
    for table in (CORE_LIBRARIES, XCB_LIBRARIES, WAYLAND_LIBRARIES):
        names = [lib for lib, _ in table]
        assert len(names) == len(set(names))
        assert all(".so." in lib and package for lib, package in table)
    assert missing_libraries(XCB_LIBRARIES, loads_all_but("libxcb-shm.so.0")) == [
        ("libxcb-shm.so.0", "libxcb-shm0")
    ]
    # The real loader: the C library is always there, a made-up one never.
    assert missing_libraries((("libc.so.6", "libc6"), ("libnothere.so.9", "x"))) == [
        ("libnothere.so.9", "x")
    ]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")
def test_the_x_server_probe_connects_to_the_display_socket() -> None:
    number = 4000 + os.getpid() % 1000
    if _x_server_answers(f":{number}"):
        pytest.skip(f"something listens on display :{number}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(f"\0/tmp/.X11-unix/X{number}")  # the abstract name X servers use
        server.listen()
        assert _x_server_answers(f":{number}") is True
        assert _x_server_answers(f"unix:{number}.0") is True
    assert _x_server_answers(f":{number}") is False
    assert _x_server_answers("otherhost:0") is None
    assert _x_server_answers("garbage") is None
