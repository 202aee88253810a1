"""What happens to a capture nobody saved: the policy that may answer the question
by itself, the answers a person can give, and which captures are worth asking about.

A journal (the on-disk copy of a live session) is deleted only when its capture was
saved or explicitly discarded, or when there was nothing in it to keep: a session
that exchanged no frame and got no handshake."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import CaptureStore

__all__ = ["POLICY_ENV", "Answer", "UnsavedPolicy", "policy_from_env", "worth_keeping"]

#: Answers the "save this capture?" question by itself: ask, discard, keep, cancel.
POLICY_ENV = "WS_INSPECTOR_UNSAVED"


class UnsavedPolicy(enum.StrEnum):
    ASK = "ask"
    #: Delete the journals of unsaved captures without asking.
    DISCARD = "discard"
    #: Quit without asking; the journals stay, offered for recovery at the next start.
    KEEP = "keep"
    #: Refuse to close (for scripts that must never lose a capture).
    CANCEL = "cancel"


class Answer(enum.StrEnum):
    """What a person answered about one or several unsaved captures."""

    SAVE = "save"
    SAVE_ALL = "save-all"
    DISCARD = "discard"
    DISCARD_ALL = "discard-all"
    CANCEL = "cancel"


def policy_from_env(environ: Mapping[str, str] = os.environ) -> UnsavedPolicy:
    """``$WS_INSPECTOR_UNSAVED`` as a policy; anything else than the four words asks."""
    value = environ.get(POLICY_ENV, "").strip().lower()
    try:
        return UnsavedPolicy(value)
    except ValueError:
        return UnsavedPolicy.ASK


def worth_keeping(store: CaptureStore) -> bool:
    """The capture holds something: a frame, a handshake, an error, any event past
    the connection's state changes. An attempt that never reached the server (a
    refused port) still has its error and is kept; a tab that never connected is
    not."""
    if len(store):
        return True
    return any(type(e).__name__ != "StateChanged" for e in store.events)
