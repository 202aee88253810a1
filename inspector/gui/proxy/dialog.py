"""File > New proxy…: how the proxy works (mode, where it listens, where it goes),
the CA that intercepts ``wss://`` in forward mode, and upstream TLS.

Non-modal: opened with ``open()``; ``accepted`` fires only once the fields make a
proxy (:meth:`NewProxyDialog.problem` is None), read them with
:meth:`NewProxyDialog.listen_address` and :meth:`NewProxyDialog.options`.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..live.dialog import ListenDialog
from ..session.proxy import ProxyOptions, TlsOptions, default_ca_path, export_ca
from ..session.support import check_url
from ..widgets.naming import named

__all__ = ["DEFAULT_LISTEN", "NewProxyDialog", "split_hosts"]

DEFAULT_LISTEN = "127.0.0.1:8080"
PEM_FILTER = "PEM certificates (*.pem *.crt);;All files (*)"


def split_hosts(text: str) -> tuple[str, ...]:
    """Hosts separated by commas, spaces or new lines (``*.example.com`` allowed)."""
    return tuple(h for h in re.split(r"[\s,;]+", text.strip()) if h)


class NewProxyDialog(ListenDialog):
    """The settings of a new proxy. ``caExported(path)`` / ``caExportFailed(reason)``
    say how an export went."""

    caExported = Signal(str)
    caExportFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            parent,
            name="newProxyDialog",
            title="New proxy",
            prefix="proxy",
            what="proxy",
            listen=DEFAULT_LISTEN,
            ok="Start proxy",
            ok_name="proxyStart",
        )
        #: The export's file dialog, once asked for (tests answer it).
        self.export_dialog: QFileDialog | None = None

        self.reverse_radio = QRadioButton("Reverse: clients connect here, sent on to one server")
        named(
            self.reverse_radio,
            "proxyModeReverse",
            "Reverse mode",
            "Point your client at the proxy's address; every connection goes to the upstream "
            "URL with the client's own path and query. No certificates needed.",
        )
        self.forward_radio = QRadioButton("Forward: an HTTP proxy your client or browser uses")
        named(
            self.forward_radio,
            "proxyModeForward",
            "Forward mode",
            "Configure the client to use this HTTP proxy: ws:// as absolute URIs, wss:// "
            "through CONNECT, intercepted with the proxy's CA",
        )
        self.reverse_radio.setChecked(True)
        self._modes = QButtonGroup(self)
        self._modes.addButton(self.reverse_radio)
        self._modes.addButton(self.forward_radio)

        self.upstream_edit = QLineEdit(self)
        named(
            self.upstream_edit,
            "proxyUpstream",
            "Upstream URL",
            "The server every client is sent on to: ws:// or wss://",
        )
        self.upstream_edit.setPlaceholderText("wss://api.example.com")
        self.upstream_label = QLabel("&Upstream URL:", self)
        self.upstream_label.setBuddy(self.upstream_edit)

        self.ca_edit = QLineEdit(self)
        named(
            self.ca_edit,
            "proxyCaDir",
            "CA folder",
            "Where the proxy's certificate authority is kept (made on first use)",
        )
        self.ca_edit.setPlaceholderText(default_ca_path())
        self.export_button = QPushButton("Export CA certificate…", self)
        named(
            self.export_button,
            "proxyExportCa",
            "Export CA certificate",
            "Save the CA's certificate (PEM) to install in a browser or the system's trust store",
        )
        self.export_button.clicked.connect(self.choose_export_path)
        self.exclude_edit = QLineEdit(self)
        named(
            self.exclude_edit,
            "proxyExclude",
            "Excluded hosts",
            "Hosts passed through as opaque tunnels, not intercepted (commas or spaces; "
            "*.example.com)",
        )
        self.exclude_edit.setPlaceholderText("bank.example.com, *.internal")
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.export_button)
        self.forward_box = QGroupBox("Interception (forward mode)", self)
        named(self.forward_box, "proxyForwardBox", "Interception settings")
        form = QFormLayout(self.forward_box)
        form.addRow("CA folder:", ca_row)
        form.addRow("Excluded hosts:", self.exclude_edit)

        self.insecure_check = QCheckBox("Do not verify the servers' certificates", self)
        named(
            self.insecure_check,
            "proxyInsecureUpstream",
            "Do not verify upstream certificates",
            "Dangerous: anyone on the way can read and change the traffic",
        )
        self.cafile_edit = QLineEdit(self)
        named(
            self.cafile_edit,
            "proxyUpstreamCafile",
            "Upstream CA file",
            "Trust this CA bundle (PEM) for upstream servers instead of the system's",
        )
        self.cafile_edit.setPlaceholderText("the system's trust store")
        self.tls_box = QGroupBox("Upstream TLS", self)
        named(self.tls_box, "proxyTlsBox", "Upstream TLS settings")
        tls_form = QFormLayout(self.tls_box)
        tls_form.addRow(self.insecure_check)
        tls_form.addRow("CA file:", self.cafile_edit)

        main = QFormLayout()
        modes = QVBoxLayout()
        modes.addWidget(self.reverse_radio)
        modes.addWidget(self.forward_radio)
        main.addRow("&Listen on:", self.listen_edit)  # first, as in New server
        main.addRow("Mode:", modes)
        main.addRow(self.upstream_label, self.upstream_edit)
        self.finish(main, self.forward_box, self.tls_box, width=560)
        self.forward_radio.toggled.connect(self._on_mode)
        self._on_mode()

    # ------------------------------------------------------------- reading
    @property
    def forward(self) -> bool:
        return self.forward_radio.isChecked()

    @property
    def ca_dir(self) -> str | None:
        return self.ca_edit.text().strip() or None

    def options(self) -> ProxyOptions:
        tls = TlsOptions(
            cafile=self.cafile_edit.text().strip() or None,
            insecure=self.insecure_check.isChecked(),
        )
        if self.forward:
            return ProxyOptions(
                forward=True,
                tls=tls,
                exclude=split_hosts(self.exclude_edit.text()),
                ca_dir=self.ca_dir,
            )
        return ProxyOptions(upstream=self.upstream_edit.text().strip(), tls=tls, ca_dir=self.ca_dir)

    def _problem(self) -> str | None:
        if not self.forward:
            url = self.upstream_edit.text().strip()
            if not url:
                return "reverse mode needs the upstream URL the clients are sent on to"
            reason = check_url(url)
            if reason is not None:
                return f"upstream URL: {reason}"
        return None

    # ------------------------------------------------------------- actions
    def _on_mode(self, *_: object) -> None:
        forward = self.forward
        self.upstream_edit.setEnabled(not forward)
        self.upstream_label.setEnabled(not forward)
        self.exclude_edit.setEnabled(forward)

    def choose_export_path(self) -> QFileDialog:
        """Ask where to save the CA's certificate (a file dialog, opened with open())."""
        dialog = self.export_dialog
        if dialog is None:
            # One per dialog, deleted with it: a file dialog deleted on close was seen
            # to take Qt down (a shared object of its file model deleted twice).
            dialog = QFileDialog(self, "Export the CA certificate", "", PEM_FILTER)
            dialog.setObjectName("exportCaDialog")
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setFileMode(QFileDialog.FileMode.AnyFile)
            dialog.setDefaultSuffix("pem")
            dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
            dialog.fileSelected.connect(self.export_ca_to)
            self.export_dialog = dialog
        dialog.selectFile("ws-inspector-ca.pem")
        dialog.open()
        return dialog

    def export_ca_to(self, path: str) -> bool:
        """Write the CA certificate of the chosen folder to ``path`` (PEM)."""
        try:
            source = export_ca(self.ca_dir, path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = f"cannot export the CA certificate to {path}: {reason}"
            self.show_problem(message)
            self.caExportFailed.emit(message)
            return False
        self.problem_label.setText(f"Exported the CA certificate ({source}) to {path}")
        self.problem_label.setStyleSheet("")
        self.problem_label.show()
        self.caExported.emit(path)
        return True
