"""The option groups the commands share, read back into what they configure."""

from __future__ import annotations

import argparse

import pytest

from inspector.capture.store import DEFAULT_MAX_CAPTURE_BYTES
from inspector.cli.options import (
    UsageError,
    add_capture_budget,
    add_connection_options,
    add_logging_options,
    add_tls_options,
    capture_budget,
    parse_header,
    request_headers,
    tls_options,
)
from inspector.engine.options import TlsOptions


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    add_connection_options(p)
    add_tls_options(p)
    add_logging_options(p)
    add_capture_budget(p)
    return p


def test_headers_keep_their_order_and_values() -> None:
    ns = parser().parse_args(["-H", "X-B: 2", "-H", "x-a:1:2", "--header", "Empty:"])
    assert request_headers(ns) == [("X-B", "2"), ("x-a", "1:2"), ("Empty", "")]
    for bad in ("no colon", ": value", "   : v"):
        with pytest.raises(UsageError, match="is not 'Name: value'"):
            parse_header(bad)


def test_tls_group() -> None:
    assert tls_options(parser().parse_args([])) == TlsOptions()
    ns = parser().parse_args(
        ["--cacert", "ca.pem", "--cert", "c.pem", "--key", "k.pem", "--insecure"]
    )
    assert tls_options(ns) == TlsOptions(
        cafile="ca.pem", certfile="c.pem", keyfile="k.pem", insecure=True
    )


def test_capture_budget_in_mebibytes() -> None:
    assert capture_budget(parser().parse_args([])) == DEFAULT_MAX_CAPTURE_BYTES
    assert capture_budget(parser().parse_args(["--max-capture", "1.5"])) == 3 * 2**19


def test_logging_group() -> None:
    ns = parser().parse_args([])
    assert (ns.log_level, ns.debug) == ("warning", False)
    ns = parser().parse_args(["--log-level", "Error", "--debug"])
    assert (ns.log_level, ns.debug) == ("error", True)
