"""The downloader and its queue against a real HTTP server on 127.0.0.1, serving the real
starter model and tiny GGUF files, with faults injected on the wire."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hub_server import (
    STARTER_NAME,
    STARTER_REPO,
    TINY_REPO,
    HubServer,
    socket_guard,
)

from parrotchat.core.hub.client import HubClient, Timeouts
from parrotchat.core.hub.config import OFFLINE_MESSAGE, HubConfig, HubError, HubOfflineError
from parrotchat.core.hub.download_control import DownloadControl, DownloadProgress, DownloadStopped
from parrotchat.core.hub.download_queue import DownloadEvent, DownloadQueue
from parrotchat.core.hub.downloads import Downloader, DownloadError, DownloadRequest
from parrotchat.core.hub.files import FileChoice, RemoteFile
from parrotchat.core.models.library import ModelLibrary


class Home:
    """A data folder: models, downloads, and a downloader factory (a "restart" is a new
    Downloader over the same folders)."""

    def __init__(self, root: Path, server: HubServer) -> None:
        self.root, self.server = root, server
        self.models = root / "data" / "models"
        self.downloads = root / "cache" / "downloads"

    def hub(self, **config: object) -> HubClient:
        cfg = HubConfig(endpoint=self.server.url, **config)  # type: ignore[arg-type]
        return HubClient(cfg, Timeouts(connect=2, read=5))

    def downloader(self, retries: int = 3, **config: object) -> Downloader:
        return Downloader(
            self.hub(**config), self.models, self.downloads, retries=retries, backoff_s=0.01
        )

    def request(
        self, repo: str, file: str | None = None, quant: str | None = None
    ) -> DownloadRequest:
        listing = self.hub().list_files(repo)
        if file is None and quant is None:
            (choice,) = listing.choices
        else:
            choice = listing.find(file=file, quant=quant)
        return DownloadRequest.from_listing(listing, choice)

    def library(self) -> list[str]:
        return sorted(m.path.name for m in ModelLibrary(self.models, None).scan())

    def files(self) -> list[str]:
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


@pytest.fixture
def home(tmp_path: Path, server: HubServer) -> Home:
    return Home(tmp_path / "home", server)


def starter_size(server: HubServer) -> int:
    return server.repos[STARTER_REPO].files[STARTER_NAME].size


def run_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as e:  # the test inspects it
            errors.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, errors


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


# --- the happy paths ---------------------------------------------------------------------


def test_full_download_lands_verified_in_the_library(home: Home, server: HubServer) -> None:
    # At a real link's pace: unpaced, loopback can deliver the 98 MB before a first
    # speed reading is due, and the speed and time-left display is part of what is tested.
    server.rate = 300e6
    seen: list[DownloadProgress] = []
    info = home.downloader().download(home.request(STARTER_REPO), progress=seen.append)
    assert info.path == home.models / STARTER_NAME and info.source == "library"
    assert info.quantization == "Q4_1"
    assert home.library() == [STARTER_NAME]
    assert server.bytes_sent[STARTER_NAME] == starter_size(server)  # once, whole
    assert home.files() == [f"data/models/{STARTER_NAME}"]  # no .part, record or lock left
    phases = [p.phase for p in seen]
    assert phases[0] == "downloading" and phases[-3:] == ["verifying", "installing", "done"]
    done = [p.done for p in seen]
    assert done == sorted(done) and seen[-1].done == seen[-1].total == starter_size(server)
    assert any(p.speed > 0 and p.eta is not None for p in seen if p.phase == "downloading")
    # The download asked for the listed commit, and followed the hub's redirect to its CDN.
    get_paths = [r.path for r in server.requests if r.file == STARTER_NAME]
    commit = server.repos[STARTER_REPO].commit
    assert get_paths == [f"/{STARTER_REPO}/resolve/{commit}/{STARTER_NAME}", get_paths[1]]
    assert get_paths[1].startswith("/cdn/")


def test_small_git_file_and_split_set(home: Home, tiny: dict[str, bytes]) -> None:
    downloader = home.downloader()
    q8 = downloader.download(home.request(TINY_REPO, quant="Q8_0"))  # verified by git blob id
    assert q8.path.read_bytes() == tiny["tiny-Q8_0.gguf"]
    split = downloader.download(home.request(TINY_REPO, quant="Q5_K_M"))
    assert [f.name for f in split.files] == [
        "tiny-split-Q5_K_M-00001-of-00002.gguf",
        "tiny-split-Q5_K_M-00002-of-00002.gguf",
    ]
    assert home.library() == ["tiny-Q8_0.gguf", "tiny-split-Q5_K_M-00001-of-00002.gguf"]
    assert not list(home.models.glob(".incoming-*"))


def test_a_second_download_of_the_same_file_only_verifies(home: Home, server: HubServer) -> None:
    request = home.request(TINY_REPO, quant="F16")
    home.downloader().download(request)
    sent = dict(server.bytes_sent)
    phases: list[str] = []
    again = home.downloader().download(request, progress=lambda p: phases.append(p.phase))
    assert again.path.name == "tiny-F16.gguf" and dict(server.bytes_sent) == sent
    assert set(phases) == {"verifying"}
    (home.models / "tiny-F16.gguf").write_bytes(b"GGUF something else")
    with pytest.raises(DownloadError, match=r"a different file named tiny-F16\.gguf"):
        home.downloader().download(request)


# --- interruptions and resuming ------------------------------------------------------------


def test_dropped_connection_resumes_after_a_restart(home: Home, server: HubServer) -> None:
    size = starter_size(server)
    half = size // 2
    request = home.request(STARTER_REPO)
    server.faults.drop_after[STARTER_NAME] = half
    kept = rf"dropped; {half:,} of {size:,} bytes are kept: run again to resume$"
    with pytest.raises(DownloadError, match=kept):
        home.downloader(retries=0).download(request)
    part = home.downloads / STARTER_REPO / f"{STARTER_NAME}.part"
    assert part.stat().st_size == half
    record = json.loads(part.with_name(part.name + ".json").read_text())
    assert record["size"] == size and record["sha256"] == request.choice.files[0].sha256
    assert home.library() == []  # a partial file is never a model
    pending = home.downloader().pending()
    assert [(p.request.choice.key, p.done, p.total) for p in pending] == [
        (STARTER_NAME, half, size)
    ]

    checked: list[int] = []

    def progress(p: DownloadProgress) -> None:
        if p.phase == "checking":
            checked.append(p.done)

    info = home.downloader().download(pending[0].request, progress=progress)  # "restarted"
    assert info.path.name == STARTER_NAME and home.library() == [STARTER_NAME]
    assert checked and checked[-1] == half  # the kept half was re-hashed, not re-fetched
    resumed = [r for r in server.file_requests(STARTER_NAME) if r.path.startswith("/cdn/")][-1]
    assert resumed.range == f"bytes={half}-"
    redownloaded = server.bytes_sent[STARTER_NAME] - size
    assert redownloaded <= size // 100
    assert home.files() == [f"data/models/{STARTER_NAME}"]


def test_a_drop_mid_download_is_retried_in_place(home: Home, server: HubServer) -> None:
    size = len(server.repos[TINY_REPO].files["tiny-Q4_K_M.gguf"].read(0, 10**9))
    server.faults.drop_after["tiny-Q4_K_M.gguf"] = size // 3
    info = home.downloader(retries=2).download(home.request(TINY_REPO, quant="Q4_K_M"))
    assert info.path.name == "tiny-Q4_K_M.gguf"
    ranges = [r.range for r in server.file_requests("tiny-Q4_K_M.gguf") if "/cdn/" in r.path]
    assert ranges == [None, f"bytes={size // 3}-"]
    assert server.bytes_sent["tiny-Q4_K_M.gguf"] == size


def test_a_server_without_range_support_restarts_cleanly(home: Home, server: HubServer) -> None:
    name = "tiny-Q4_K_M.gguf"
    size = server.repos[TINY_REPO].files[name].size
    server.faults.drop_after[name] = size // 2
    server.faults.ignore_range.add(name)
    info = home.downloader(retries=1).download(home.request(TINY_REPO, file=name))
    assert info.path.read_bytes() == server.repos[TINY_REPO].files[name].read(0, size)


# --- refusals and failures ---------------------------------------------------------------


def test_a_corrupted_byte_fails_the_checksum_and_nothing_is_kept(
    home: Home, server: HubServer
) -> None:
    server.faults.corrupt["tiny-F16.gguf"] = 5000
    with pytest.raises(DownloadError, match=r"corrupt: its SHA-256 is [0-9a-f]{64} but the hub"):
        home.downloader().download(home.request(TINY_REPO, quant="F16"))
    assert home.library() == [] and home.files() == []  # the .part is deleted too


@pytest.mark.parametrize(
    ("status", "message", "tries"),
    [
        (404, r"demo/Tiny-GGUF: tiny-F16.gguf: not found on http://127.0.0.1:\d+ \(404\)$", 1),
        (401, r"tiny-F16.gguf: access denied \(401\)", 1),
        (500, r"tiny-F16.gguf: the server answered 500 .*\(after 3 attempts\)$", 3),
    ],
)
def test_error_answers(
    home: Home, server: HubServer, status: int, message: str, tries: int
) -> None:
    request = home.request(TINY_REPO, quant="F16")
    server.faults.status["tiny-F16.gguf"] = status
    with pytest.raises(DownloadError, match=message) as info:
        home.downloader(retries=2).download(request)
    assert "\n" not in str(info.value)
    assert len(server.file_requests("tiny-F16.gguf")) == tries
    assert home.library() == []


def test_wrong_size_from_the_server(home: Home, server: HubServer) -> None:
    request = home.request(TINY_REPO, quant="F16")
    server.faults.wrong_size["tiny-F16.gguf"] = request.choice.size + 10
    with pytest.raises(DownloadError, match=r"the server says the file has .* the listing said"):
        home.downloader().download(request)
    assert home.library() == []


def test_slow_server_cancel_stops_promptly_and_deletes(home: Home, server: HubServer) -> None:
    server.faults.slow[STARTER_NAME] = (16 * 1024, 0.02)
    control = DownloadControl()
    seen: list[DownloadProgress] = []
    downloader = home.downloader()
    thread, errors = run_in_thread(
        lambda: downloader.download(
            home.request(STARTER_REPO), progress=seen.append, control=control
        )
    )
    wait_for(lambda: any(p.done > 64 * 1024 for p in seen))
    started = time.monotonic()
    control.cancel()
    thread.join(30)
    # Gross: the whole download at this rate takes minutes.
    assert not thread.is_alive() and time.monotonic() - started < 10
    assert isinstance(errors[0], DownloadStopped) and errors[0].kind == "cancelled"
    assert home.library() == [] and home.files() == []


def test_pause_on_a_silent_server_returns_at_once_and_keeps_the_part(
    home: Home, server: HubServer
) -> None:
    server.faults.stall_after[STARTER_NAME] = 3_000_000
    control = DownloadControl()
    request = home.request(STARTER_REPO)
    part = home.downloads / STARTER_REPO / f"{STARTER_NAME}.part"
    thread, errors = run_in_thread(lambda: home.downloader().download(request, control=control))
    wait_for(lambda: part.exists() and part.stat().st_size == 3_000_000)
    time.sleep(0.2)  # the reader is now blocked on a server that sends nothing
    started = time.monotonic()
    control.pause()
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - started < 3.0  # not the 5 s timeout
    assert isinstance(errors[0], DownloadStopped) and errors[0].kind == "paused"
    assert part.stat().st_size == 3_000_000 and home.library() == []
    del server.faults.stall_after[STARTER_NAME]
    server.faults.release.set()
    home.downloader().download(request)
    assert home.library() == [STARTER_NAME]
    assert server.bytes_sent[STARTER_NAME] == starter_size(server)


def test_disk_space_is_checked_before_any_byte(home: Home, server: HubServer) -> None:
    request = home.request(TINY_REPO, quant="F16")
    tight = Downloader(home.hub(), home.models, home.downloads, free_space=lambda _p: 1000)
    with pytest.raises(DownloadError, match=r"not enough disk space: it needs .* bytes") as info:
        tight.download(request)
    assert "has 1.0 KB (1,000 bytes) free" in str(info.value)
    assert server.file_requests("tiny-F16.gguf") == [] and home.library() == []


def test_disk_space_refusal_on_the_real_disk(home: Home, server: HubServer) -> None:
    server.repos[TINY_REPO].files["tiny-F16.gguf"].listed_size = 10**16  # "10 PB"
    request = home.request(TINY_REPO, quant="F16")
    with pytest.raises(
        DownloadError,
        match=r"not enough disk space: it needs 10000\.0 TB \(10,000,000,067,108,864 bytes",
    ):
        home.downloader().download(request)
    assert server.file_requests("tiny-F16.gguf") == []


@pytest.mark.parametrize("path", ["../../x.gguf", "sub/../../x.gguf", "..\\x.gguf", "/tmp/x.gguf"])
def test_path_traversal_is_refused_and_nothing_is_written(
    home: Home, server: HubServer, tmp_path: Path, path: str
) -> None:
    before = sorted(tmp_path.rglob("*"))
    choice = FileChoice((RemoteFile(path, 100, "0" * 64),), None)
    with pytest.raises(HubError, match="Refused file name"):
        home.downloader().download(DownloadRequest(TINY_REPO, "main", choice))
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/tmp/x.gguf").exists()
    assert server.requests == []


def test_redirect_to_another_host_is_refused_unless_allowed(home: Home, server: HubServer) -> None:
    name = "tiny-F16.gguf"
    sha = server.repos[TINY_REPO].files[name].sha256
    server.faults.redirect[name] = f"http://localhost:{server.port}/cdn/{sha}"
    request = home.request(TINY_REPO, quant="F16")
    with pytest.raises(DownloadError, match=r"refused a redirect to another host \(localhost\)"):
        home.downloader(token="hf_secret").download(request)
    assert home.library() == []
    home.downloader(token="hf_secret", download_hosts=("localhost",)).download(request)
    assert home.library() == [name]
    resolve, cdn = server.file_requests(name)[-2:]
    assert resolve.headers["authorization"] == "Bearer hf_secret"
    assert cdn.headers["host"].startswith("localhost") and "authorization" not in cdn.headers


def test_offline_download_makes_no_connection(home: Home, server: HubServer) -> None:
    request = home.request(STARTER_REPO)
    server.requests.clear()
    with (
        socket_guard() as attempts,
        pytest.raises(HubOfflineError, match=re.escape(OFFLINE_MESSAGE)),
    ):
        home.downloader(offline=True).download(request)
    assert attempts == [] and server.requests == [] and home.files() == []


def test_two_downloaders_never_write_the_same_part(home: Home, server: HubServer) -> None:
    server.faults.stall_after[STARTER_NAME] = 1_000_000
    request = home.request(STARTER_REPO)
    control = DownloadControl()
    thread, _errors = run_in_thread(lambda: home.downloader().download(request, control=control))
    part = home.downloads / STARTER_REPO / f"{STARTER_NAME}.part"
    wait_for(lambda: part.exists() and part.stat().st_size == 1_000_000)
    with pytest.raises(HubError, match="already being downloaded"):
        home.downloader().download(request)
    control.pause()
    thread.join(5)


def test_a_live_process_lock_is_respected_and_a_dead_one_taken_over(
    home: Home, server: HubServer
) -> None:
    request = home.request(TINY_REPO, quant="F16")
    lock = home.downloads / TINY_REPO / "tiny-F16.gguf.part.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("1")  # process 1 is alive, and not us
    with pytest.raises(HubError, match=r"being downloaded by another ParrotChat \(process 1\)"):
        home.downloader().download(request)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    lock.write_text(gone.stdout.strip())  # a crashed download's lock
    home.downloader().download(request)
    assert home.library() == ["tiny-F16.gguf"] and not lock.exists()


# --- the queue -----------------------------------------------------------------------------


def test_queue_runs_one_at_a_time_and_reports_events(home: Home, server: HubServer) -> None:
    events: list[DownloadEvent] = []
    lock = threading.Lock()

    def record(event: DownloadEvent) -> None:
        with lock:
            events.append(event)

    server.faults.slow["tiny-F16.gguf"] = (64 * 1024, 0.05)  # still running when re-added
    queue = DownloadQueue(home.downloader(), record, parallel=1)
    f16, q4 = home.request(TINY_REPO, quant="F16"), home.request(TINY_REPO, quant="Q4_K_M")
    first, second = queue.add(f16), queue.add(q4)
    assert queue.add(f16) == first  # already queued or running: the same task
    assert queue.wait(20)
    kinds = [(e.task.task_id, e.kind) for e in events if e.kind != "progress"]
    for task in (first, second):
        assert [k for t, k in kinds if t == task] == ["queued", "started", "done"]
    assert kinds.index((second, "started")) > kinds.index((first, "done"))  # one at a time
    assert any(e.kind == "progress" for e in events)
    done = {t.task_id: t for t in queue.tasks()}
    model = done[first].model
    assert model is not None and model.path.name == "tiny-F16.gguf"
    assert home.library() == ["tiny-F16.gguf", "tiny-Q4_K_M.gguf"]
    queue.close()


def test_queue_pause_resume_cancel(home: Home, server: HubServer) -> None:
    server.faults.slow[STARTER_NAME] = (64 * 1024, 0.01)
    events: list[DownloadEvent] = []
    queue = DownloadQueue(home.downloader(), events.append, parallel=2)
    server.faults.status["tiny-Q8_0.gguf"] = 404
    starter = home.request(STARTER_REPO)
    task = queue.add(starter)
    failing = queue.add(home.request(TINY_REPO, quant="Q8_0"))
    wait_for(lambda: any(e.kind == "progress" and e.task.task_id == task for e in events))
    queue.pause(task)
    wait_for(lambda: {t.task_id: t.state for t in queue.tasks()}[task] == "paused")
    part = home.downloads / STARTER_REPO / f"{STARTER_NAME}.part"
    assert part.exists()
    assert queue.add(starter) == task  # adding a paused download resumes it
    wait_for(lambda: {t.task_id: t.state for t in queue.tasks()}[task] == "running")
    queue.cancel(task)
    assert queue.wait(10)
    states = {t.task_id: t for t in queue.tasks()}
    assert states[task].state == "cancelled" and not part.exists()
    assert states[failing].state == "failed" and "(404)" in (states[failing].error or "")
    queue.close()
