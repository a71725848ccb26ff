"""DICOM over TLS: the hook serves with a certificate and, given a CA, accepts only clients it signed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ._pacs import HOOK_AET, Hook, echo, hologic_sr, send


def _issue(folder, name: str, issuer=None, ca: bool = False):
    """A key and certificate for `name`, signed by `issuer` (key, cert) or self-signed; PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer[1].subject if issuer else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    cert = builder.sign(issuer[0] if issuer else key, hashes.SHA256())
    (folder / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


@pytest.fixture
def pki(tmp_path):
    ca = _issue(tmp_path, "ca", ca=True)
    _issue(tmp_path, "hook", ca)
    _issue(tmp_path, "scanner", ca)
    return tmp_path


def _client(pki, with_cert: bool = True) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=pki / "ca.crt")
    if with_cert:
        ctx.load_cert_chain(pki / "scanner.crt", pki / "scanner.key")
    return ctx


def test_dicom_over_tls_with_client_certificates(pki, tmp_path):
    tls = (_client(pki), "127.0.0.1")
    options = ("--tls-cert", str(pki / "hook.crt"), "--tls-key", str(pki / "hook.key"),
               "--tls-ca", str(pki / "ca.crt"))
    with Hook(tmp_path / "hook", *options, tls=tls) as hook:
        assert echo(hook.port, tls_args=tls) == 0x0000
        assert echo(hook.port) is None  # plain TCP is not DICOM over TLS
        assert echo(hook.port, tls_args=(_client(pki, with_cert=False), "127.0.0.1")) is None
        study = "1.2.826.0.1.3680043.8.498.501"
        assert send(hook.port, [hologic_sr(study)], tls_args=tls) == [0]
        assert hook.wait_results(1)[0].exam.study_uid == study
        if shutil.which("echoscu"):
            done = subprocess.run(["echoscu", "+tls", str(pki / "scanner.key"), str(pki / "scanner.crt"),
                                   "+cf", str(pki / "ca.crt"), "-aec", HOOK_AET, "127.0.0.1", str(hook.port)],
                                  capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stderr
