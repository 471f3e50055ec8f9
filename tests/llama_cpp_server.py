"""llama-cpp-python's own OpenAI-compatible server on 127.0.0.1, in a child process.

    with LlamaCppServer(model, api_key="k") as server:
        server.url  # http://127.0.0.1:PORT

The real thing (`python -m llama_cpp.server`), on the real starter model: what an
admin runs on a GPU box, minus the GPU. Used by the remote engine's tests and
benchmarks. Its output goes to a log file, shown when it fails to start.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from llama_cpu import SERVER_LAUNCHER

START_TIMEOUT_S = 120.0
MODEL_ALIAS = "smollm2"
TEST_API_KEY = "test-key-parrot"  # the tests' server asks for it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaCppServer:
    def __init__(
        self,
        model: Path,
        *,
        n_ctx: int = 2048,
        api_key: str | None = None,
        threads: int = 2,
        alias: str = MODEL_ALIAS,
    ) -> None:
        self.model = model
        self.n_ctx = n_ctx
        self.api_key = api_key
        self.threads = threads
        self.alias = alias
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = Path(tempfile.mkstemp(prefix="llama-cpp-server-", suffix=".log")[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 30) -> str:
        lines = self._log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def __enter__(self) -> LlamaCppServer:
        self.port = free_port()
        launcher = SERVER_LAUNCHER.format(tests=str(Path(__file__).resolve().parent))
        command = [
            sys.executable,
            "-c",
            launcher,
            "--model",
            str(self.model),
            "--model_alias",
            self.alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.threads),
            "--n_threads_batch",
            str(self.threads),
        ]
        if self.api_key:
            command += ["--api_key", self.api_key]
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ}
            )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        request = urllib.request.Request(f"{self.url}/v1/models")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    json.load(answer)
                    return
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.1)
        raise RuntimeError(f"llama_cpp.server did not start in time:\n{self.log_tail()}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self._log.unlink(missing_ok=True)
