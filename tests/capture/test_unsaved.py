"""The unsaved-capture policy and which captures are worth keeping."""

from __future__ import annotations

from inspector.capture.events import (
    ConnectionState,
    Direction,
    ErrorCaptured,
    ErrorStep,
    FramesCaptured,
    StateChanged,
)
from inspector.capture.store import CaptureStore
from inspector.capture.unsaved import POLICY_ENV, UnsavedPolicy, policy_from_env, worth_keeping
from inspector.protocol.constants import Opcode
from inspector.protocol.frames import FrameSpec

from .conftest import received, session_info, wire


def test_the_policy_comes_from_the_environment_and_defaults_to_asking() -> None:
    assert policy_from_env({}) is UnsavedPolicy.ASK
    assert policy_from_env({POLICY_ENV: " Discard "}) is UnsavedPolicy.DISCARD
    assert policy_from_env({POLICY_ENV: "keep"}) is UnsavedPolicy.KEEP
    assert policy_from_env({POLICY_ENV: "cancel"}) is UnsavedPolicy.CANCEL
    assert policy_from_env({POLICY_ENV: "sometimes"}) is UnsavedPolicy.ASK


def test_a_session_that_held_nothing_is_not_worth_keeping() -> None:
    store = CaptureStore(session_info())
    assert not worth_keeping(store)
    store.add(StateChanged(0.0, ConnectionState.CONNECTING))
    store.add(StateChanged(0.1, ConnectionState.CLOSED, clean=False))
    assert not worth_keeping(store)  # connecting, then closed: nothing to look at
    failed = CaptureStore(session_info())
    failed.add(ErrorCaptured(0.0, ErrorStep.TCP, "connection refused", True))
    assert worth_keeping(failed)  # why it failed is worth a look
    framed = CaptureStore(session_info())
    for batch in received(wire(FrameSpec(Opcode.TEXT, b"hi"))):
        framed.add(FramesCaptured(0.0, Direction.IN, batch))
    assert worth_keeping(framed)
