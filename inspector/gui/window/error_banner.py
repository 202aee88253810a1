"""The error banner of a session tab: what failed and at which step of connecting.

When the failure is a certificate that was rejected, the banner names that
certificate in one line (its every field in the tooltip; the handshake pane's TLS box
shows them all) and offers the two ways forward: the TLS options (a CA file, a client
certificate), or trusting exactly this certificate, by its fingerprint, for the next
connection only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..detail.common import esc
from ..session.support import step_name
from ..widgets import theme
from ..widgets.banner import DismissibleBanner

if TYPE_CHECKING:
    from ...capture.events import PeerCertificate

__all__ = ["ErrorBanner"]


class ErrorBanner(DismissibleBanner):
    """A dismissible line saying what failed, at which step (and, for a rejected
    certificate, the certificate and what to do about it).

    ``tlsOptionsRequested()`` and ``trustRequested(sha256)`` are the two actions.
    """

    tlsOptionsRequested = Signal()
    trustRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "errorBanner",
            accessible="Error",
            text_accessible="Error message",
            close_accessible="Dismiss error",
            parent=parent,
        )
        self.step = ""
        self.message = ""
        self.certificate: PeerCertificate | None = None
        self._fatal = True

        # One line under the message: which certificate, and the two ways forward.
        # Its every field is in the tooltip and in the handshake pane's TLS box: the
        # banner must stay short enough for a 640-pixel-high window.
        self.certificate_label = QLabel(self)
        self.certificate_label.setObjectName("errorBannerCertificate")
        self.certificate_label.setAccessibleName("Rejected certificate")
        self.certificate_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.certificate_label.setWordWrap(True)
        self.certificate_label.setSizePolicy(
            QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        )
        self.tls_button = QPushButton("Open TLS options…", self)
        self.tls_button.setObjectName("errorBannerTlsOptions")
        self.tls_button.setAccessibleName("Open TLS options")
        self.tls_button.setToolTip("Trust a CA file, send a client certificate, set the name")
        self.tls_button.clicked.connect(self.tlsOptionsRequested)
        self.trust_button = QPushButton("Trust this certificate for this connection", self)
        self.trust_button.setObjectName("errorBannerTrust")
        self.trust_button.setAccessibleName("Trust this certificate for this connection")
        self.trust_button.clicked.connect(self._trust)
        self.certificate_box = QWidget(self)
        self.certificate_box.setObjectName("errorBannerCertificateBox")
        box = QHBoxLayout(self.certificate_box)
        box.setContentsMargins(0, 2, 0, 0)
        box.addWidget(self.certificate_label, 1)
        box.addWidget(self.tls_button)
        box.addWidget(self.trust_button)
        self.certificate_box.hide()
        # Under the message, beside the dismiss button.
        row = self.layout()
        assert isinstance(row, QHBoxLayout)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        row.removeWidget(self.label)
        column.addWidget(self.label)
        column.addWidget(self.certificate_box)
        row.insertLayout(0, column, 1)

    def show_error(
        self,
        step: str,
        message: str,
        *,
        fatal: bool = True,
        certificate: PeerCertificate | None = None,
    ) -> None:
        self.step, self.message, self._fatal = step, message, fatal
        self.certificate = certificate
        self._render()
        self.show()

    def _trust(self) -> None:
        if self.certificate is not None:
            self.trustRequested.emit(self.certificate.sha256)

    def _render(self) -> None:
        """Word and colour the banner from the current palette (visibility unchanged:
        a dismissed banner stays dismissed when the palette changes)."""
        step, message, fatal = self.step, self.message, self._fatal
        t = theme.current()
        color = t.violation if fatal else t.control
        title = "Failed" if fatal else "Warning"
        where = step_name(step)
        self.label.setText(
            f'<b style="color:{color.name()}">{title} at step “{esc(where)}”:</b> {esc(message)}'
        )
        description = f"{title} at step {where}: {message}"
        cert = self.certificate
        if cert is not None:
            # With the handshake page's module: loaded by the first certificate error.
            from ..handshake.summary import certificate_summary

            fields = cert.fields()
            self.certificate_label.setText(f"<b>Certificate</b> {esc(certificate_summary(cert))}")
            self.certificate_label.setToolTip(
                "<table>"
                + "".join(
                    f"<tr><td><b>{esc(label)}</b></td><td>{esc(value)}</td></tr>"
                    for label, value in fields
                )
                + "</table>"
            )
            self.trust_button.setToolTip(
                f"Connect again accepting exactly the certificate with SHA-256 "
                f"{cert.sha256}, for this connection only: any other is still refused"
            )
            description += "; certificate: " + "; ".join(
                f"{label} {value}" for label, value in fields
            )
        self.certificate_box.setVisible(cert is not None)
        self.setAccessibleDescription(description)
        self._style(color, 0.14)

    def _has_content(self) -> bool:
        return bool(self.message)

    def _restyle(self) -> None:
        self._render()

    def clear(self) -> None:
        self.step = self.message = ""
        self.certificate = None
        self.label.clear()
        self.certificate_label.clear()
        self.certificate_box.hide()
        self.hide()
