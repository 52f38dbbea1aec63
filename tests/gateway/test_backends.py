"""Backend detection honours INCIDENTBOT_ES_VERIFY_CERTS, like the client libraries do."""
from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.httpserve import LocalHTTPServer, as_bytes, send

from incidentbot.config import settings_from
from incidentbot.gateway.backends import BackendConnectionError, detect_flavour

ROOT = {"name": "n", "cluster_name": "c", "version": {"number": "2.13.0", "distribution": "opensearch"}}


@pytest.fixture
def self_signed_https(tmp_path: Path) -> Iterator[str]:
    """A local HTTPS root endpoint with a self-signed certificate, as many internal clusters have."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)

    server = LocalHTTPServer(lambda h: send(h, 200, as_bytes(ROOT)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.start()
    try:
        yield f"https://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_verify_certs_false_is_honoured_when_the_backend_is_detected(self_signed_https: str) -> None:
    relaxed = settings_from(env={"INCIDENTBOT_ES_VERIFY_CERTS": "false"}, es_url=self_signed_https)
    assert relaxed.backend == "auto" and detect_flavour(relaxed) == "opensearch"


def test_certificates_are_verified_by_default(self_signed_https: str) -> None:
    with pytest.raises(BackendConnectionError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        detect_flavour(settings_from(env={}, es_url=self_signed_https))
