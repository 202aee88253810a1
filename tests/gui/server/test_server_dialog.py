"""File > New server…: what its fields make (the handshake's answer and the
behaviour), which fields apply to which answer, what a wrong field says, and the
one line the server tab shows about it."""

from __future__ import annotations

from typing import Any

import pytest
from _gui_support import focus_chain

from inspector.gui.server.dialog import NewServerDialog, parse_header_lines, split_names
from inspector.gui.server.view import describe_options
from inspector.gui.session.server import HandshakeAction, HandshakeDecision, ServerOptions

pytestmark = pytest.mark.gui


def test_split_names_and_header_lines() -> None:
    assert split_names(" chat, v2.json  mqtt ") == ("chat", "v2.json", "mqtt")
    assert split_names("") == ()
    assert parse_header_lines("X-A: 1\n\n  X-B:two words \n") == (
        ("X-A", "1"),
        ("X-B", "two words"),
    )
    with pytest.raises(ValueError, match="header line 2 is not 'Name: value'"):
        parse_header_lines("X-A: 1\nno colon")
    with pytest.raises(ValueError, match="header line 1"):
        parse_header_lines(": value")


def test_the_fields_make_the_options(qtbot: Any) -> None:
    dialog = NewServerDialog()
    qtbot.addWidget(dialog)
    assert dialog.options() == ServerOptions()  # the defaults: accept and echo
    dialog.listen_edit.setText("0.0.0.0:0")
    dialog.subprotocols_edit.setText("chat v2")
    dialog.deflate_check.setChecked(False)
    dialog.headers_edit.setPlainText("X-Seat: server")
    dialog.delay_spin.setValue(1.5)
    dialog.on_connect_edit.setText("hello")
    dialog.manual_check.setChecked(True)
    dialog.strict_check.setChecked(True)
    assert dialog.listen_address() == ("0.0.0.0", 0)
    assert dialog.options() == ServerOptions(
        HandshakeDecision(
            subprotocols=("chat", "v2"),
            deflate=False,
            headers=(("X-Seat", "server"),),
            delay=1.5,
        ),
        on_connect=("hello",),
        manual=True,
        strict=True,
    )
    assert not dialog.echo_check.isEnabled()  # manual replies never echo

    dialog.close_radio.setChecked(True)
    dialog.close_code_spin.setValue(4001)
    dialog.close_reason_edit.setText("go away")
    decision = dialog.decision()
    assert decision.action is HandshakeAction.CLOSE
    assert (decision.close_code, decision.close_reason) == (4001, "go away")
    assert dialog.close_box.isEnabled() and not dialog.behaviour_box.isEnabled()

    dialog.reject_radio.setChecked(True)
    dialog.status_spin.setValue(503)
    dialog.body_edit.setPlainText("later")
    decision = dialog.decision()
    assert (decision.action, decision.status, decision.body) == (
        HandshakeAction.REJECT,
        503,
        "later",
    )
    assert dialog.reject_box.isEnabled()
    assert not dialog.accept_box.isEnabled() and not dialog.close_box.isEnabled()


@pytest.mark.parametrize(
    ("field", "text", "words"),
    [
        ("listen_edit", "", "give an address"),
        ("subprotocols_edit", "a,b", None),  # split on commas: two good names
        ("close_reason_edit", "x" * 124, "over 123 bytes"),
        ("headers_edit", "X-A: 😀", "header X-A"),
        ("headers_edit", "X A: 1", "not an HTTP token"),
    ],
)
def test_what_a_wrong_field_says(qtbot: Any, field: str, text: str, words: str | None) -> None:
    dialog = NewServerDialog()
    qtbot.addWidget(dialog)
    widget = getattr(dialog, field)
    if hasattr(widget, "setPlainText"):
        widget.setPlainText(text)
    else:
        widget.setText(text)
    problem = dialog.problem()
    if words is None:
        assert problem is None
    else:
        assert problem is not None and words in problem
        dialog.accept()
        assert dialog.problem_label.isVisibleTo(dialog) and words in dialog.problem_label.text()
        assert dialog.result() == 0


def test_describe_options() -> None:
    assert describe_options(ServerOptions()) == (
        "Answers: accepts (permessage-deflate) · echo on · observe mode"
    )
    text = describe_options(
        ServerOptions(
            HandshakeDecision(subprotocols=("chat",), deflate=False, delay=2),
            echo=False,
            on_connect=("hi",),
            strict=True,
        )
    )
    assert text == (
        "Answers: accepts (subprotocols chat; no compression), after 2 s · echo off · "
        "a message on connect · strict"
    )
    manual = describe_options(ServerOptions(manual=True))
    assert "manual replies only" in manual and "echo" not in manual
    refused = describe_options(ServerOptions(HandshakeDecision(HandshakeAction.REJECT, status=401)))
    assert refused == "Answers: rejects every handshake with 401 · observe mode"
    closing = HandshakeDecision(HandshakeAction.CLOSE, close_code=None, force_subprotocol="x")
    assert describe_options(ServerOptions(closing)) == (
        "Answers: accepts (subprotocol x (forced); permessage-deflate), then closes at once "
        "with no code · observe mode"
    )


def test_a_running_servers_answers_load_and_come_back_unchanged(qtbot: Any) -> None:
    options = ServerOptions(
        HandshakeDecision(
            HandshakeAction.CLOSE,
            subprotocols=("chat", "v2"),
            deflate=False,
            headers=(("X-A", "1"), ("X-B", "2")),
            status=418,
            body="tea\nonly",
            close_code=4002,
            close_reason="bye",
            delay=0.25,
        ),
        echo=False,
        on_connect=("hi",),
        strict=True,
    )
    dialog = NewServerDialog(editing=options, listen="127.0.0.1:9999")
    qtbot.addWidget(dialog)
    assert dialog.accessibleName() == "How the server answers"
    assert dialog.listen_edit.isReadOnly() and dialog.listen_edit.text() == "127.0.0.1:9999"
    assert dialog.options() == options
    assert dialog.close_box.isEnabled() and not dialog.reject_box.isEnabled()


def test_tab_walks_the_fields_as_they_are_laid_out_then_the_buttons(qtbot: Any) -> None:
    dialog = NewServerDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    top = ["serverListen", "serverAccept", "serverReject", "serverAcceptClose"]
    top += ["serverDelay", "serverHeaders"]
    bottom = ["serverEcho", "serverManual", "serverOnConnect", "serverStrict"]
    bottom += ["serverStart", "serverCancel"]
    assert focus_chain(dialog) == [*top, "serverSubprotocols", "serverDeflate", *bottom]
    dialog.reject_radio.setChecked(True)  # the refusal's fields instead, no behaviour
    refusal = ["serverRejectStatus", "serverRejectBody"]
    assert focus_chain(dialog) == [*top, *refusal, "serverStart", "serverCancel"]
