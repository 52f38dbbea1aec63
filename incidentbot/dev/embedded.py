"""Start and stop a local search server (noida-db) for the demo and the tests.

noida-db's command is a Python wrapper that runs the real server as its child;
stopping only the wrapper leaves the server running. So it is started in a new
session and the whole process group is stopped.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from incidentbot.core.errors import UsageError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cache_dir() -> Path:
    """The user's cache directory for incidentbot (XDG_CACHE_HOME honoured)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "incidentbot"


def _noida_command() -> list[str]:
    exe = shutil.which("noida-db") or str(Path(sys.executable).with_name("noida-db"))
    if not Path(exe).exists():
        raise UsageError("noida-db is not installed: pip install 'incidentbot[server]' (or noida-db)")
    return [exe]


class EmbeddedSearchServer:
    """A noida-db process on a free loopback port, stopped with its child on exit."""

    def __init__(self, data_dir: Path | None = None, port: int | None = None) -> None:
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.mkdtemp(prefix="incidentbot-es-")
            data_dir = Path(self._tmp)
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> "EmbeddedSearchServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = _noida_command() + ["start", "--only", "elasticsearch", "--data-dir", str(self.data_dir),
                                  "--elasticsearch-port", str(self.port)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise UsageError(f"the embedded search server exited at start (code {self._proc.returncode})")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as resp:
                    if resp.status == 200 and json.loads(resp.read()).get("version"):
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise UsageError(f"the embedded search server did not answer on {self.url} within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGTERM)
                self._proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._proc = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "EmbeddedSearchServer":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


class EmbeddedOpenSearch:
    """An osmem-server process (an in-memory OpenSearch stand-in) on a free loopback port.

    Used by the tests and the benchmark, so that the OpenSearch backend runs
    against a server that speaks OpenSearch's API, as real OpenSearch does.
    """

    def __init__(self) -> None:
        self._server = None
        self.url = ""

    def start(self) -> "EmbeddedOpenSearch":
        try:
            # lazy: osmem-server is an optional test dependency, needed only for the OpenSearch matrix
            from osmem_server import OsmemServer
        except ImportError:
            raise UsageError("osmem-server is not installed: pip install 'incidentbot[test]'") from None
        self._server = OsmemServer.start(japanese=False)
        self.url = self._server.url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> "EmbeddedOpenSearch":
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
