"""The opening handshake: request and response (headers and raw text), the
Sec-WebSocket-Accept check derived step by step, what was negotiated, TLS details,
step timings and any problems."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import HandshakeCaptured
from ...protocol.constants import GUID
from ..widgets import theme
from .legs import HandshakeLegs

__all__ = ["HandshakePane"]

RFC_ACCEPT = "https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2"
_STEP_LABELS = {"dns": "DNS lookup", "tcp": "TCP connect", "tls": "TLS", "handshake": "Handshake"}


def _value_label(name: str, accessible: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    label.setFont(theme.monospace_font())
    return label


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    return form


class _MessageView(QTabWidget):
    """One half of the handshake: its headers as a table and as raw text."""

    def __init__(self, name: str, what: str) -> None:
        super().__init__()
        self.setObjectName(f"{name}Tabs")
        self.setAccessibleName(f"{what} views")
        self.setDocumentMode(True)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName(f"{name}Headers")
        self.table.setAccessibleName(f"{what} headers")
        self.table.setHorizontalHeaderLabels(["Header", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        vh = self.table.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.raw = QPlainTextEdit()
        self.raw.setObjectName(f"{name}Raw")
        self.raw.setAccessibleName(f"{what} raw text")
        self.raw.setReadOnly(True)
        self.raw.setFont(theme.monospace_font())
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setPlaceholderText("(nothing yet)")
        self.addTab(self.table, "Headers")
        self.addTab(self.raw, "Raw")

    def show_event(self, event: HandshakeCaptured | None) -> None:
        self.table.setRowCount(0)
        if event is None:
            self.raw.clear()
            return
        rows = [("", event.start_line), *event.headers]
        self.table.setRowCount(len(rows))
        for r, (name, value) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            self.table.setItem(r, 1, QTableWidgetItem(value))
        first = self.table.item(0, 1)
        if first is not None:
            font = first.font()
            font.setBold(True)
            first.setFont(font)
            first.setToolTip("start line")
        raw = event.raw.decode("latin-1")
        head, sep, body = raw.partition("\r\n\r\n")
        text = head.replace("\r\n", "\n") + ("\n\n" + body if sep and body else "")
        self.raw.setPlainText(text)


class HandshakePane(QWidget):
    """Shows the two halves of an opening handshake (client side)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handshakePane")
        self.setAccessibleName("Handshake")
        self.request: HandshakeCaptured | None = None
        self.response: HandshakeCaptured | None = None

        summary = QWidget()
        summary.setObjectName("handshakeSummary")
        col = QVBoxLayout(summary)
        col.setContentsMargins(6, 6, 6, 6)

        self.status_label = QLabel("No handshake yet: connect to see it here.")
        self.status_label.setObjectName("statusLine")
        self.status_label.setAccessibleName("Response status line")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setWordWrap(True)
        font = self.status_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.status_label.setFont(font)

        self.problems_label = QLabel()
        self.problems_label.setObjectName("handshakeProblems")
        self.problems_label.setAccessibleName("Handshake problems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems_label.hide()

        # Sec-WebSocket-Accept, derived for learners.
        self.accept_box = QGroupBox("Sec-WebSocket-Accept check")
        self.accept_box.setObjectName("acceptBox")
        self.accept_box.setToolTip(
            "The server proves it read the key: base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2)"
        )
        form = _form()
        self.key_label = _value_label("acceptKey", "Sec-WebSocket-Key")
        self.concat_label = _value_label("acceptConcatenated", "Key plus GUID")
        self.sha1_label = _value_label("acceptSha1", "SHA-1 in hex")
        self.expected_label = _value_label("acceptExpected", "Expected accept value")
        self.received_label = _value_label("acceptReceived", "Received accept value")
        self.accept_result = QLabel()
        self.accept_result.setObjectName("acceptResult")
        self.accept_result.setAccessibleName("Accept check result")
        self.accept_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accept_result.setWordWrap(True)
        form.addRow("1. Key (sent):", self.key_label)
        form.addRow("2. Key + GUID:", self.concat_label)
        form.addRow("3. SHA-1 (hex):", self.sha1_label)
        form.addRow("4. Base64 → expected:", self.expected_label)
        form.addRow("5. Received:", self.received_label)
        form.addRow("Result:", self.accept_result)
        self.accept_box.setLayout(form)
        col.addWidget(self.accept_box)

        self.negotiated_box = QGroupBox("Negotiated")
        self.negotiated_box.setObjectName("negotiatedBox")
        form = _form()
        self.subprotocol_label = _value_label("negotiatedSubprotocol", "Negotiated subprotocol")
        self.extensions_label = _value_label("negotiatedExtensions", "Negotiated extensions")
        form.addRow("Subprotocol:", self.subprotocol_label)
        form.addRow("Extensions:", self.extensions_label)
        self.negotiated_box.setLayout(form)
        col.addWidget(self.negotiated_box)

        self.tls_box = QGroupBox("TLS")
        self.tls_box.setObjectName("tlsBox")
        form = _form()
        self.tls_labels: dict[str, QLabel] = {}
        for key, text in (
            ("version", "Version:"),
            ("cipher", "Cipher:"),
            ("subject", "Subject:"),
            ("issuer", "Issuer:"),
            ("expiry", "Expires:"),
            ("verified", "Verified:"),
            ("alpn", "ALPN:"),
        ):
            label = _value_label(f"tls_{key}", f"TLS {key}")
            self.tls_labels[key] = label
            form.addRow(text, label)
        self.tls_box.setLayout(form)
        col.addWidget(self.tls_box)

        self.timing_box = QGroupBox("Timings")
        self.timing_box.setObjectName("timingBox")
        self.timing_label = _value_label("handshakeTimings", "Step timings")
        tl = QVBoxLayout()
        tl.addWidget(self.timing_label)
        self.timing_box.setLayout(tl)
        col.addWidget(self.timing_box)
        col.addStretch(1)

        scroll = QScrollArea()
        scroll.setObjectName("handshakeSummaryScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(summary)
        self.overview = scroll

        self.request_view = _MessageView("request", "Request")
        self.response_view = _MessageView("response", "Response")
        halves = QTabWidget()
        halves.setObjectName("handshakeTabs")
        halves.setAccessibleName("Handshake overview, response and request")
        halves.setDocumentMode(True)
        halves.addTab(scroll, "Overview")
        halves.addTab(self.response_view, "Response")
        halves.addTab(self.request_view, "Request")
        self.legs = HandshakeLegs(halves)  # a proxy's four halves (hidden otherwise)
        self.halves = halves

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        head = QVBoxLayout()
        head.setContentsMargins(6, 4, 6, 0)
        head.addWidget(self.status_label)
        head.addWidget(self.problems_label)
        layout.addLayout(head)
        layout.addWidget(halves, 1)
        self.clear()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        response = getattr(self, "response", None)  # (no attribute while being built)
        if event.type() == QEvent.Type.PaletteChange and response is not None:
            # The status line, accept check and TLS lines hold the old palette's
            # colours (light <-> dark): show the response again, on the same tab.
            current = self.halves.currentIndex()
            self.set_response(response)
            self.halves.setCurrentIndex(current)

    # ------------------------------------------------------------------ API
    def clear(self) -> None:
        self.request = self.response = None
        self.status_label.setText("No handshake yet: connect to see it here.")
        self.problems_label.hide()
        for label in (
            self.key_label,
            self.concat_label,
            self.sha1_label,
            self.expected_label,
            self.received_label,
            self.subprotocol_label,
            self.extensions_label,
            self.timing_label,
        ):
            label.setText("—")
        self.accept_result.setText("—")
        self.accept_box.setEnabled(False)
        self.tls_box.hide()
        self.request_view.show_event(None)
        self.response_view.show_event(None)
        self.legs.clear()

    def show_handshake(self, event: HandshakeCaptured) -> None:
        """Show one half: ``dir`` OUT is our request, IN the server's response."""
        self.legs.add(event)
        if event.dir.value == "out":
            self.set_request(event)
        else:
            self.set_response(event)

    def set_request(self, event: HandshakeCaptured) -> None:
        self.request = event
        self.request_view.show_event(event)
        if self.response is None:
            self.status_label.setText(f"Waiting for the response to: {event.start_line}")
            for header, value in event.headers:
                if header.lower() == "sec-websocket-key":
                    self.key_label.setText(value)

    def set_response(self, event: HandshakeCaptured) -> None:
        t = theme.current()
        self.response = event
        self.response_view.show_event(event)
        ok = event.accept is not None and event.accept.ok and not event.problems
        status = event.start_line or "(no status line: the server sent no valid HTTP response)"
        mark = "✓" if ok else "✗"
        color = t.incoming if ok else t.violation
        self.status_label.setText(
            f'<span style="color:{color.name()}">{mark}</span> {html.escape(status)}'
        )
        self.status_label.setAccessibleDescription(f"{mark} {status}")
        # A failed handshake: show what the server actually said.
        self.halves.setCurrentWidget(self.overview if ok else self.response_view)
        if event.problems:
            items = "".join(f"<li>{html.escape(p.sentence)}</li>" for p in event.problems)
            self.problems_label.setText(
                f'<b style="color:{t.violation.name()}">Problems</b><ul style="margin:0">'
                f"{items}</ul>"
            )
            self.problems_label.show()
        else:
            self.problems_label.hide()

        accept = event.accept
        if accept is not None:
            self.accept_box.setEnabled(True)
            self.key_label.setText(accept.key)
            concatenated = accept.concatenated or accept.key + GUID
            self.concat_label.setText(
                f"{html.escape(accept.key)}<span style='color:{t.muted.name()}'>"
                f"{html.escape(concatenated[len(accept.key) :])}</span>"
            )
            self.concat_label.setToolTip(f"the key followed by the GUID {GUID}")
            self.sha1_label.setText(accept.sha1_hex or "—")
            self.expected_label.setText(accept.expected)
            self.received_label.setText(
                accept.received if accept.received is not None else "(header missing)"
            )
            if accept.ok:
                self.accept_result.setText(
                    f'<b style="color:{t.incoming.name()}">✓ matches</b> — the server '
                    f'computed the accept value from our key. <a href="{RFC_ACCEPT}">'
                    "RFC 6455 §4.2.2</a>"
                )
            else:
                self.accept_result.setText(
                    f'<b style="color:{t.violation.name()}">✗ does not match</b> — a '
                    f'client must fail this connection. <a href="{RFC_ACCEPT}">'
                    "RFC 6455 §4.2.2</a>"
                )
            self.accept_result.setOpenExternalLinks(True)
            self.accept_result.setAccessibleDescription("match" if accept.ok else "mismatch")
        else:
            self.accept_box.setEnabled(False)
            self.accept_result.setText("— (no valid 101 response to check)")

        self.subprotocol_label.setText(event.subprotocol or "(none)")
        self.extensions_label.setText(event.extensions or "(none)")

        if event.tls is not None:
            tls = event.tls
            self.tls_box.show()
            values = {
                "version": tls.version,
                "cipher": tls.cipher,
                "subject": tls.peer_subject or "—",
                "issuer": tls.peer_issuer or "—",
                "expiry": tls.not_after or "—",
                "verified": "✓ yes" if tls.verified else "✗ NO — verification was skipped",
                "alpn": tls.alpn or "(none)",
            }
            for key, value in values.items():
                self.tls_labels[key].setText(value)
            self.tls_labels["verified"].setStyleSheet(
                "" if tls.verified else f"color: {t.violation.name()}; font-weight: 600;"
            )
        else:
            self.tls_box.hide()

        if event.timings:
            parts = [
                f"{_STEP_LABELS.get(name, name)} {seconds * 1000:.1f} ms"
                for name, seconds in event.timings
            ]
            total = sum(s for _, s in event.timings) * 1000
            self.timing_label.setText("  ·  ".join(parts) + f"  ·  total {total:.1f} ms")
        else:
            self.timing_label.setText("—")
