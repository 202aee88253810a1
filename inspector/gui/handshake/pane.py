"""The opening handshake: request and response (headers with what each means, raw
text, and the body of a refused upgrade), the Sec-WebSocket-Accept check derived step
by step, what was negotiated, TLS details (the certificate, and whether a CA or the
user's pin vouched for it), step timings and any problems with their RFC sections.

What is shown is worked out in :mod:`.summary`, without Qt."""

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
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...capture.events import HandshakeCaptured, PeerCertificate
from ...protocol.constants import GUID
from ..detail.hexview import HexView
from ..widgets import theme
from ..widgets.wrapping import WrappingValue
from .legs import HandshakeLegs
from .summary import (
    CLIENT_SEAT,
    BodyKind,
    Seat,
    body_view,
    header_meaning,
    problem_rows,
    rejected_tls_values,
    tls_values,
)

__all__ = ["HandshakePane"]

RFC_ACCEPT = "https://www.rfc-editor.org/rfc/rfc6455#section-4.2.2"
_STEP_LABELS = {"dns": "DNS lookup", "tcp": "TCP connect", "tls": "TLS", "handshake": "Handshake"}


def _value_label(name: str, accessible: str) -> WrappingValue:
    # Keys, hashes and fingerprints have no spaces: a QLabel could not wrap them.
    label = WrappingValue()
    label.setObjectName(name)
    label.setAccessibleName(accessible)
    label.setFont(theme.monospace_font())
    return label


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
    return form


class _BodyView(QWidget):
    """The body of a refused upgrade: as text when it is text, else in hex."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(f"{name}Body")
        self.setAccessibleName("Response body")
        self.note = QLabel()
        self.note.setObjectName(f"{name}BodyNote")
        self.note.setAccessibleName("Response body size and type")
        self.note.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName(f"{name}BodyText")
        self.text.setAccessibleName("Response body as text")
        self.text.setReadOnly(True)
        self.text.setFont(theme.monospace_font())
        self.hex = HexView()
        self.hex.setObjectName(f"{name}BodyHex")
        self.hex.setAccessibleName("Response body in hex")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.text)
        self.stack.addWidget(self.hex)
        col = QVBoxLayout(self)
        col.setContentsMargins(4, 4, 4, 4)
        col.addWidget(self.note)
        col.addWidget(self.stack, 1)

    def show_event(self, event: HandshakeCaptured | None) -> bool:
        """Show the body of ``event``; False when it has none."""
        view = body_view(event) if event is not None else None
        if view is None or view.kind is BodyKind.NONE:
            self.note.setText("No body.")
            self.text.clear()
            self.hex.clear()
            self.stack.setCurrentWidget(self.text)
            return False
        self.note.setText(view.note)
        if view.kind is BodyKind.TEXT:
            self.text.setPlainText(view.text)
            self.hex.clear()
            self.stack.setCurrentWidget(self.text)
        else:
            self.text.clear()
            self.hex.set_data(view.data)
            self.stack.setCurrentWidget(self.hex)
        return True


class _MessageView(QTabWidget):
    """One half of the handshake: its headers as a table (with what each means), as
    raw text and, for a response that carried one, its body."""

    def __init__(self, name: str, what: str, *, body: bool = False) -> None:
        super().__init__()
        self.setObjectName(f"{name}Tabs")
        self.setAccessibleName(f"{what} views")
        self.setDocumentMode(True)
        # Two columns, and under each header a row spanning both with what it means:
        # a third column would be cut off in a narrow pane, a row wraps.
        self.table = QTableWidget(0, 2)
        self.table.setObjectName(f"{name}Headers")
        self.table.setAccessibleName(f"{what} headers")
        self.table.setHorizontalHeaderLabels(["Header", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh = self.table.horizontalHeader()
        # Sized to the names, not to the meaning rows that span both columns.
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        #: The table row of each header's meaning (for tests and screen readers).
        self.meaning_rows: dict[int, str] = {}
        self.raw = QPlainTextEdit()
        self.raw.setObjectName(f"{name}Raw")
        self.raw.setAccessibleName(f"{what} raw text")
        self.raw.setReadOnly(True)
        self.raw.setFont(theme.monospace_font())
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setPlaceholderText("(nothing yet)")
        self.addTab(self.table, "Headers")
        self.addTab(self.raw, "Raw")
        self.body: _BodyView | None = None
        if body:
            self.body = _BodyView(name)
            self.addTab(self.body, "Body")
            self.setTabEnabled(2, False)

    def show_event(self, event: HandshakeCaptured | None) -> None:
        self.table.clearSpans()
        self.table.setRowCount(0)
        if self.body is not None:
            self.setTabEnabled(self.indexOf(self.body), self.body.show_event(event))
        if event is None:
            self.raw.clear()
            return
        rows = [("", event.start_line), *event.headers]
        muted = theme.current().muted
        small = self.table.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.meaning_rows = {}
        for name, value in rows:
            r = self.table.rowCount()
            self.table.insertRow(r)
            item = QTableWidgetItem(value)
            item.setToolTip(value)
            if name:
                self.table.setItem(r, 0, QTableWidgetItem(name))
                self.table.setItem(r, 1, item)
            else:  # the start line, across the table
                font = item.font()
                font.setBold(True)
                item.setFont(font)
                self.table.setItem(r, 0, item)
                self.table.setSpan(r, 0, 1, 2)
            meaning = header_meaning(name) if name else ""
            if meaning:
                r += 1
                self.table.insertRow(r)
                note = QTableWidgetItem(f"↳ {meaning}")
                note.setForeground(muted)
                note.setFont(small)
                note.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(r, 0, note)
                self.table.setSpan(r, 0, 1, 2)
                self.meaning_rows[r] = meaning
        fm = self.table.fontMetrics()
        names = max((fm.horizontalAdvance(name) for name, _ in rows[1:]), default=0)
        self.table.setColumnWidth(0, min(names + 16, 240))
        raw = event.raw.decode("latin-1")
        head, sep, body = raw.partition("\r\n\r\n")
        text = head.replace("\r\n", "\n") + ("\n\n" + body if sep and body else "")
        self.raw.setPlainText(text)


class HandshakePane(QWidget):
    """Shows the two halves of an opening handshake, from the client's seat unless
    told otherwise (:meth:`set_seat`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handshakePane")
        self.setAccessibleName("Handshake")
        self.request: HandshakeCaptured | None = None
        self.response: HandshakeCaptured | None = None
        self.seat: Seat = CLIENT_SEAT

        summary = QWidget()
        summary.setObjectName("handshakeSummary")
        col = QVBoxLayout(summary)
        col.setContentsMargins(6, 6, 6, 6)

        self.status_label = QLabel(self.seat.empty)
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
        self.problems_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.problems_label.setOpenExternalLinks(True)
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
        self.received_label = _value_label("acceptReceived", self.seat.accept_name)
        self.accept_result = QLabel()
        self.accept_result.setObjectName("acceptResult")
        self.accept_result.setAccessibleName("Accept check result")
        self.accept_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.accept_result.setWordWrap(True)
        self.key_row = QLabel(self.seat.key_row)
        self.accept_row = QLabel(self.seat.accept_row)
        form.addRow(self.key_row, self.key_label)
        form.addRow("2. Key + GUID:", self.concat_label)
        form.addRow("3. SHA-1 (hex):", self.sha1_label)
        form.addRow("4. Base64 → expected:", self.expected_label)
        form.addRow(self.accept_row, self.received_label)
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
        self.tls_labels: dict[str, WrappingValue] = {}
        for key, text in (
            ("verified", "Trust:"),
            ("version", "Version:"),
            ("cipher", "Cipher:"),
            ("subject", "Subject:"),
            ("issuer", "Issuer:"),
            ("not_before", "Valid from:"),
            ("expiry", "Valid until:"),
            ("sha256", "SHA-256:"),
            ("names", "Names:"),
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
        self.response_view = _MessageView("response", "Response", body=True)
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
    def set_seat(self, seat: Seat) -> None:
        """Read the handshake from ``seat`` (our server's: the request came in and
        our response went out), from now on; what is shown is shown again."""
        self.seat = seat
        self.key_row.setText(seat.key_row)
        self.accept_row.setText(seat.accept_row)
        self.received_label.setAccessibleName(seat.accept_name)
        request, response = self.request, self.response
        self.clear()
        if request is not None:
            self.set_request(request)
        if response is not None:
            self.set_response(response)

    def clear(self) -> None:
        self.request = self.response = None
        self.status_label.setText(self.seat.empty)
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
        self.accept_box.show()
        self.negotiated_box.show()
        self.tls_box.hide()
        self.tls_labels["verified"].setStyleSheet("")
        self.request_view.show_event(None)
        self.response_view.show_event(None)
        self.legs.clear()

    def show_handshake(self, event: HandshakeCaptured) -> None:
        """Show one half: the request travels in the seat's ``request_dir`` (a
        client's goes out), the response the other way."""
        self.legs.add(event)
        if event.dir is self.seat.request_dir:
            self.set_request(event)
        else:
            self.set_response(event)

    def set_request(self, event: HandshakeCaptured) -> None:
        self.request = event
        self.request_view.show_event(event)
        if self.response is None:
            self.status_label.setText(self.seat.waiting.format(line=event.start_line))
            for header, value in event.headers:
                if header.lower() == "sec-websocket-key":
                    self.key_label.setText(value)

    def show_rejected_certificate(self, certificate: PeerCertificate, why: str) -> None:
        """No handshake happened: the TLS handshake failed on this certificate. Show
        it whole in the TLS box (the banner only names it)."""
        t = theme.current()
        self.status_label.setText(
            f'<span style="color:{t.violation.name()}">✗</span> TLS handshake failed: '
            "the server's certificate was rejected"
        )
        self.status_label.setAccessibleDescription("✗ the server's certificate was rejected")
        # Nothing to check or negotiate: the certificate comes first.
        self.accept_box.hide()
        self.negotiated_box.hide()
        self.tls_box.show()
        reason = why.split(": ", 1)[-1].split(" (", 1)[0]
        for key, value in rejected_tls_values(certificate, reason).items():
            self.tls_labels[key].setText(value)
        self.tls_labels["verified"].setStyleSheet(f"color: {t.violation.name()}; font-weight: 600;")
        self.halves.setCurrentWidget(self.overview)

    def set_response(self, event: HandshakeCaptured) -> None:
        t = theme.current()
        self.response = event
        self.accept_box.show()
        self.negotiated_box.show()
        self.response_view.show_event(event)
        ok = event.accept is not None and event.accept.ok and not event.problems
        status = event.start_line or self.seat.no_status
        mark = "✓" if ok else "✗"
        color = t.incoming if ok else t.violation
        self.status_label.setText(
            f'<span style="color:{color.name()}">{mark}</span> {html.escape(status)}'
        )
        self.status_label.setAccessibleDescription(f"{mark} {status}")
        # A failed handshake: show what the server actually said (its body, if any).
        self.halves.setCurrentWidget(self.overview if ok else self.response_view)
        body = self.response_view.body
        if not ok and body is not None and self.response_view.isTabEnabled(2):
            self.response_view.setCurrentWidget(body)
        if event.problems:
            items = "".join(
                f"<li>{html.escape(row.text)}"
                + (f' — <a href="{row.url}">{html.escape(row.rfc)}</a>' if row.url else "")
                + "</li>"
                for row in problem_rows(event.problems)
            )
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
            self.concat_label.setRichText(
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
                    f'<b style="color:{t.incoming.name()}">✓ matches</b> — '
                    f'{self.seat.matches} <a href="{RFC_ACCEPT}">RFC 6455 §4.2.2</a>'
                )
            else:
                self.accept_result.setText(
                    f'<b style="color:{t.violation.name()}">✗ does not match</b> — '
                    f'{self.seat.mismatch} <a href="{RFC_ACCEPT}">RFC 6455 §4.2.2</a>'
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
            values = tls_values(tls)
            for key, value in values.items():
                self.tls_labels[key].setText(value)
            warn = not tls.verified and not tls.pinned
            self.tls_labels["verified"].setStyleSheet(
                f"color: {t.violation.name()}; font-weight: 600;"
                if warn
                else f"color: {t.control.name()}; font-weight: 600;"
                if tls.pinned
                else ""
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
