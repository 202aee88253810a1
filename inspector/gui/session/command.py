"""The command line that makes a tab's connection again, for the copy-out menu.

Built by the engine (:func:`~inspector.engine.options.capture_command`); this module
is the GUI's way to it, since only :mod:`inspector.gui.session` imports the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .controller import SessionController

__all__ = ["connection_command"]


def connection_command(controller: SessionController, url: str) -> list[str]:
    """``ws-inspector capture URL ...`` for the controller's connection to ``url``:
    its configured options for a live tab, what the captured opening request says
    for a capture read from a file (whose options are not known)."""
    # The engine's options and the capture's directions load with the first copy.
    from ...capture.events import Direction
    from ...engine.options import capture_command, options_from_request

    store = controller.store
    if controller.read_only and store is not None:
        request = store.handshake(Direction.OUT)
        headers = request.headers if request is not None else ()
        return capture_command(url, options_from_request(headers))
    return capture_command(url, controller.options)
