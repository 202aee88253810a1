"""The proxy's own certificate authority, for intercepting ``wss://`` in forward mode.

The CA is made on first use (an EC P-256 key and a self-signed certificate valid ten
years) in ``ca`` under the data folder, or in ``--ca-dir``; its key file is created
with owner-only permissions (0600). Each intercepted host gets a leaf certificate
signed by the CA, made once per run and cached; all leaves share one key, so that a
browser can be told to trust the proxy by one public-key hash
(:meth:`LocalCA.spki_sha256`, for Chromium's ``--ignore-certificate-errors-spki-list``).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...capture.formats.journal import data_dir
from ..dial import tls_keylog

__all__ = ["CA_CERT_NAME", "CA_KEY_NAME", "LocalCA", "default_ca_dir"]

CA_CERT_NAME = "ws-inspector-ca.pem"
CA_KEY_NAME = "ws-inspector-ca.key"
LEAF_KEY_NAME = "ws-inspector-leaf-key.pem"
_LEAF_DAYS = 397  # what browsers accept for a server certificate at most


def default_ca_dir() -> Path:
    return data_dir() / "ca"


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only its owner can read, from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class LocalCA:
    """The CA in ``directory`` (made there if it does not exist yet)."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_ca_dir()
        self.cert_path = self.directory / CA_CERT_NAME
        self.key_path = self.directory / CA_KEY_NAME
        if self.cert_path.exists() and self.key_path.exists():
            self._load()
        else:
            self._create()
        self._leaf_key = self._leaf_key_of(self.directory / LEAF_KEY_NAME)
        self._contexts: dict[str, ssl.SSLContext] = {}

    @staticmethod
    def _leaf_key_of(path: Path) -> ec.EllipticCurvePrivateKey:
        """The key every leaf certificate carries, kept beside the CA's (0600) so that
        its hash, which a browser can be told to trust for a test run
        (``--ignore-certificate-errors-spki-list``), stays the same from run to run."""
        if path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(key, ec.EllipticCurvePrivateKey):
                return key
        key = ec.generate_private_key(ec.SECP256R1())
        _write_private(
            path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        return key

    def _load(self) -> None:
        key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{self.key_path} is not an EC private key")
        self._key = key
        self.certificate = x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    def _create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, "ws-inspector proxy CA"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ws-inspector"),
            ]
        )
        now = _now()
        public = self._key.public_key()
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        _write_private(
            self.key_path,
            self._key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        self.cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    # -------------------------------------------------------------- export
    def pem(self) -> bytes:
        """The CA's certificate, to install in a browser's or system's trust store."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def export(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_bytes(self.pem())

    def spki_sha256(self) -> str:
        """Base64 SHA-256 of the leaf certificates' public key (all leaves share it)."""
        der = self._leaf_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")

    # -------------------------------------------------------------- leaves
    def leaf(self, host: str) -> x509.Certificate:
        """A certificate for ``host`` (a name or an IP address), signed by the CA."""
        try:
            san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            san = x509.DNSName(host)
        now = _now()
        ca_public = self._key.public_key()
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64])]))
            .issuer_name(self.certificate.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=_LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def server_context(self, host: str) -> ssl.SSLContext:
        """The TLS context that presents ``host``'s leaf (made once, then cached)."""
        ctx = self._contexts.get(host)
        if ctx is not None:
            return ctx
        chain = self.leaf(host).public_bytes(serialization.Encoding.PEM) + self.pem()
        key = self._leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        # The ssl module loads certificates from files only: a private temporary one,
        # gone as soon as it is loaded.
        fd, name = tempfile.mkstemp(prefix="ws-inspector-leaf-", suffix=".pem")
        try:
            os.write(fd, key + chain)
            os.close(fd)
            ctx.load_cert_chain(name)
        finally:
            os.unlink(name)
        ctx.set_alpn_protocols(["http/1.1"])
        tls_keylog(ctx)
        self._contexts[host] = ctx
        return ctx
