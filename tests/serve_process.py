"""`parrotchat serve` as a real process on 127.0.0.1, for the API tests and benchmarks."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

_ADDRESS = re.compile(r"serving (\S+) at (http://\S+/v1)")
_EMBEDDINGS = re.compile(r"; embeddings with (\S+)")


class ServeProcess:
    """Start with `start()`, or use as a context manager; `stop()` sends SIGTERM."""

    def __init__(
        self,
        home: Path,
        *args: str,
        settings: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.home = home
        self.args = args
        self.env = env or {}
        home.mkdir(parents=True, exist_ok=True)
        if settings is not None:
            config = home / "config"
            config.mkdir(exist_ok=True)
            data = {"schema_version": 1, **settings}
            (config / "settings.json").write_text(json.dumps(data), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""  # http://127.0.0.1:PORT/v1
        self.model = ""
        self.embedding_model = ""  # with --embedding-model: its name for clients
        self.log = home / "serve.log"  # stdout: the address line, then the access log
        self.errors = home / "serve.err"

    @property
    def root(self) -> str:
        return self.url.removesuffix("/v1")

    @property
    def port(self) -> int:
        return int(self.root.rsplit(":", 1)[1])

    def start(self, timeout: float = 120.0) -> ServeProcess:
        command = [
            sys.executable,
            "-m",
            "parrotchat",
            "--data-dir",
            str(self.home),
            "serve",
            "--port",
            "0",
            *self.args,
        ]
        # Files, not pipes: a full pipe nobody reads would stall the server.
        with self.log.open("wb") as out, self.errors.open("wb") as err:
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=err, env={**os.environ, **self.env}
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _ADDRESS.search(self.log.read_text(encoding="utf-8", errors="replace"))
            if found:
                self.model, self.url = found.group(1), found.group(2)
                embeddings = _EMBEDDINGS.search(self.log.read_text(encoding="utf-8"))
                self.embedding_model = embeddings.group(1) if embeddings else ""
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"parrotchat serve exited: {self.errors.read_text()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("parrotchat serve did not start in time")

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.root}/health", timeout=10) as answer:
            result: dict[str, Any] = json.loads(answer.read())
            return result

    def engine_pids(self) -> list[int]:
        """The engine processes, oldest first: the chat engine, then the embedding
        engine (until one of them is restarted)."""
        assert self.proc is not None
        children = psutil.Process(self.proc.pid).children()
        # The engines, not multiprocessing's resource tracker beside them.
        engines = [c for c in children if any("spawn_main" in a for a in c.cmdline())]
        return [int(c.pid) for c in sorted(engines, key=lambda c: c.create_time())]

    def engine_pid(self) -> int:
        (engine,) = self.engine_pids()
        return engine

    def stop(self, timeout: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
