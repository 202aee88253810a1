"""File > New proxy…: what the fields make, what is refused and why, and the CA's
certificate exported as PEM through the dialog's own file dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _gui_support import focus_chain
from cryptography import x509
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit

from inspector.gui.proxy.dialog import NewProxyDialog, split_hosts

pytestmark = pytest.mark.gui


def test_split_hosts_takes_commas_spaces_and_lines() -> None:
    assert split_hosts(" a.example.com, *.internal\nb.example.org ;c ") == (
        "a.example.com",
        "*.internal",
        "b.example.org",
        "c",
    )
    assert split_hosts("  ") == ()


def test_reverse_mode_options(qtbot: Any) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.listen_edit.setText("127.0.0.1:0")
    dialog.upstream_edit.setText(" wss://api.example.com/v1 ")
    dialog.insecure_check.setChecked(True)
    dialog.cafile_edit.setText("/tmp/bundle.pem")
    assert dialog.problem() is None
    assert dialog.listen_address() == ("127.0.0.1", 0)
    options = dialog.options()
    assert options.upstream == "wss://api.example.com/v1" and not options.forward
    assert options.tls.insecure and options.tls.cafile == "/tmp/bundle.pem"
    assert not dialog.exclude_edit.isEnabled()


def test_forward_mode_options(qtbot: Any, tmp_path: Path) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.forward_radio.setChecked(True)
    dialog.listen_edit.setText("[::1]:8081")
    dialog.ca_edit.setText(str(tmp_path))
    dialog.exclude_edit.setText("bank.example.com *.internal")
    assert dialog.problem() is None  # no upstream needed
    assert dialog.listen_address() == ("::1", 8081)
    options = dialog.options()
    assert options.forward and options.upstream is None
    assert options.exclude == ("bank.example.com", "*.internal")
    assert options.ca_dir == str(tmp_path)
    assert not dialog.upstream_edit.isEnabled()


@pytest.mark.parametrize(
    ("listen", "upstream", "words"),
    [
        ("", "ws://127.0.0.1:9/", "address to listen on"),
        ("127.0.0.1", "ws://127.0.0.1:9/", "has no port"),
        ("127.0.0.1:99999", "ws://127.0.0.1:9/", "from 0 to 65535"),
        ("127.0.0.1:0", "", "needs the upstream URL"),
        ("127.0.0.1:0", "ftp://example.com/", "upstream URL:"),
    ],
)
def test_refused_fields_say_why(qtbot: Any, listen: str, upstream: str, words: str) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.listen_edit.setText(listen)
    dialog.upstream_edit.setText(upstream)
    problem = dialog.problem()
    assert problem is not None and words in problem
    dialog.accept()
    assert dialog.result() == 0 and not dialog.problem_label.isHidden()
    assert words in dialog.problem_label.text()


def test_export_ca_through_the_file_dialog(loop: Any, qtbot: Any, tmp_path: Path) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.ca_edit.setText(str(tmp_path / "ca"))
    exported: list[str] = []
    dialog.caExported.connect(exported.append)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    files = dialog.export_dialog
    assert isinstance(files, QFileDialog) and files.isVisible()
    target = tmp_path / "exported.pem"
    files.setDirectory(str(tmp_path))
    name_edit = files.findChild(QLineEdit, "fileNameEdit")  # Qt's own dialog
    assert name_edit is not None
    name_edit.setText(target.name)  # as typed
    files.accept()
    assert exported == [str(target)]
    pem = target.read_bytes()
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.issuer == cert.subject  # the CA's own, self-signed
    assert (tmp_path / "ca" / "ws-inspector-ca.pem").read_bytes() == pem
    assert "Exported" in dialog.problem_label.text()


def test_export_ca_failure_is_said(qtbot: Any, tmp_path: Path) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.ca_edit.setText(str(tmp_path / "ca"))
    failures: list[str] = []
    dialog.caExportFailed.connect(failures.append)
    assert not dialog.export_ca_to(str(tmp_path / "no such folder" / "ca.pem"))
    assert failures and "cannot export the CA certificate" in failures[0]
    assert not dialog.problem_label.isHidden()


def test_tab_walks_the_fields_top_to_bottom_then_the_buttons(qtbot: Any) -> None:
    dialog = NewProxyDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    modes = ["proxyListen", "proxyModeReverse", "proxyModeForward"]
    ca = ["proxyCaDir", "proxyExportCa"]
    tls_and_buttons = ["proxyInsecureUpstream", "proxyUpstreamCafile", "proxyStart", "proxyCancel"]
    assert focus_chain(dialog) == [*modes, "proxyUpstream", *ca, *tls_and_buttons]
    dialog.forward_radio.setChecked(True)  # no upstream; hosts to pass through
    assert focus_chain(dialog) == [*modes, *ca, "proxyExclude", *tls_and_buttons]
