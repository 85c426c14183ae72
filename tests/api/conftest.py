"""A real `votr serve` process on a free loopback port, for tests that speak HTTP to it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import votr_executable

START_TIMEOUT = 30  # seconds; generous because the machine is shared and slow at times
LISTENING = re.compile(r"listening on (http://\S+)")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, *, auth: bool = True, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if auth and self.token and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.token}"
        if method not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("Content-Type", "application/json")  # every write needs it
        return self.session.request(method, self.url + path, headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        self.session.close()
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


def _wait_for_url(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            pytest.fail(f"votr serve exited with {process.returncode} before listening:\n{log.read_text()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"votr serve did not start listening within {START_TIMEOUT} s:\n{log.read_text()}")


@pytest.fixture
def start_server(votr_env, tmp_path):
    """Start `votr serve --port 0` (the OS picks a free port) on the test's database."""
    executable = votr_executable()
    started: list[Server] = []

    def start(*args: str, token: str | None = None, env: dict | None = None) -> Server:
        log = tmp_path / f"serve-{len(started)}.log"
        full_env = {**os.environ, **votr_env, **(env or {})}
        full_env.pop("VOTR_API_TOKEN", None)
        if env and "VOTR_API_TOKEN" in env:
            full_env["VOTR_API_TOKEN"] = env["VOTR_API_TOKEN"]
        command = [executable, "serve", "--port", "0", *args]
        if token is not None:
            command += ["--token", token]
        with log.open("w") as log_file:
            process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, env=full_env)
        server = Server(_wait_for_url(process, log), process, log, token)
        started.append(server)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.terminate()
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


@pytest.fixture
def server(start_server) -> Server:
    return start_server()
