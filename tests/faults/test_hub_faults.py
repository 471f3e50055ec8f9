"""Hub faults (issue #7, item 6): a hostile server on 127.0.0.1 against the real
download path: the library (`HubClient`, `Downloader`) and `parrotchat models
files|download|search` in real processes.

For every fault: nothing is written outside the data folder (the whole test folder is
snapshotted before and after), no partial file shows up as a model, nothing hangs
past a bound, and the user gets one line naming the thing and the reason. The figures
for docs/reliability.md are printed at the end of the module (run with -s).

Trickles use small bounds here (a 0.5 s window); `tests/faults/hub_trickle_campaign.py`
runs them through the CLI with the shipped ones (a 60 s window).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hub_server import HOSTILE_MODES, TINY_REPO, HubServer, add_tiny_repo

from parrotchat.core.hub.client import HubClient, Timeouts
from parrotchat.core.hub.config import HubConfig, HubError
from parrotchat.core.hub.download_control import DownloadControl
from parrotchat.core.hub.downloads import Downloader, DownloadRequest
from parrotchat.core.hub.files import FileChoice, RemoteFile
from parrotchat.core.models.library import ModelLibrary

BOUND_S = 30.0  # nothing may take longer (the small bounds below stop each in ~0.5-5 s)
QUICK = Timeouts(connect=2, read=5, min_rate=20_000, rate_window=0.5, answer_s=3.0)
F16 = "tiny-F16.gguf"
GIT_FILE = "tiny-Q8_0.gguf"  # kept in git, served directly (no CDN redirect)

_figures: dict[str, Any] = {"tried": 0, "outside": 0, "hung": 0, "slowest_s": 0.0}


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(
        f"\nhub faults: {_figures['tried']} tried, {_figures['outside']} wrote outside the "
        f"data folder, {_figures['hung']} ran past {BOUND_S:g} s; slowest "
        f"{_figures['slowest_s']:.1f} s"
    )


class Sandbox:
    """The test folder, the data folder inside it, and the checks every fault ends with."""

    def __init__(self, root: Path, server: HubServer) -> None:
        self.root, self.server = root, server
        self.home = root / "home"
        self.models = self.home / "data" / "models"
        self.downloads = self.home / "cache" / "downloads"
        self.before = self._snapshot()
        self.started = time.monotonic()

    def _snapshot(self) -> set[Path]:
        return set(self.root.rglob("*"))

    def hub(self, **config: Any) -> HubClient:
        return HubClient(HubConfig(endpoint=self.server.url, **config), QUICK)

    def downloader(self, **config: Any) -> Downloader:
        return Downloader(
            self.hub(**config), self.models, self.downloads, retries=1, backoff_s=0.01
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`parrotchat ...` in its own process, its memory capped (an endless answer
        must fail it, not the machine)."""

        def cap() -> None:
            import resource  # POSIX only: used only there

            resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

        return subprocess.run(
            [sys.executable, "-m", "parrotchat", "--data-dir", str(self.home), *args],
            capture_output=True,
            text=True,
            timeout=BOUND_S * 4,
            env={**os.environ, "HF_ENDPOINT": ""},
            preexec_fn=cap if os.name == "posix" else None,
        )

    def finish(self, *, allowed: tuple[Path, ...] = ()) -> float:
        """The checks every fault ends with; returns the seconds it took."""
        elapsed = time.monotonic() - self.started
        _figures["tried"] += 1
        _figures["slowest_s"] = max(_figures["slowest_s"], elapsed)
        _figures["hung"] += elapsed > BOUND_S
        new = self._snapshot() - self.before
        outside = sorted(p for p in new if self.home not in p.parents and p != self.home)
        _figures["outside"] += bool(outside)
        assert outside == [], "written outside the data folder"
        assert not any(p.name.endswith(".part") for p in self.models.rglob("*"))
        found = sorted(m.path for m in ModelLibrary(self.models, None).scan())
        assert found == sorted(allowed), "only whole, verified models are in the library"
        assert elapsed < BOUND_S
        return elapsed


@pytest.fixture
def hub(tmp_path: Path, tiny: dict[str, bytes]) -> Iterator[HubServer]:
    with HubServer() as server:
        add_tiny_repo(server, tiny)
        yield server


@pytest.fixture
def box(tmp_path: Path, hub: HubServer) -> Sandbox:
    return Sandbox(tmp_path, hub)


def shown(name: str) -> str:
    """A refused name as its refusal quotes it."""
    return "'" + name.encode("unicode_escape").decode("ascii")[:200] + "'"


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("parrotchat: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def fails_in_one_line(action: Callable[[], object], *words: str) -> str:
    with pytest.raises(HubError) as info:
        action()
    message = str(info.value)
    assert "\n" not in message and all(w in message for w in words), message
    return message


# --- file names from a hostile listing ---------------------------------------------------

HOSTILE_NAMES = [
    "../../x.gguf",
    "../x.gguf",
    "sub/../../x.gguf",
    "./x.gguf",
    "/tmp/parrot-x.gguf",
    "//server/share/x.gguf",
    "..\\..\\x.gguf",
    "\\\\server\\share\\x.gguf",
    "C:x.gguf",
    "C:\\x.gguf",
    "c:/x.gguf",
    "x.gguf:evil.gguf",  # an NTFS alternate data stream of x.gguf
    "x\x00.gguf",
    "x\n.gguf",
    "x\x1b[2J.gguf",  # a terminal escape
    "a" * 300 + ".gguf",
    "sub/" + "b" * 250 + "/x.gguf",
    "evil\u202efuug.gguf",  # right-to-left override: reads as "evilgguf.guuf"
    "x\u200b.gguf",  # zero-width space
    "\ufeffx.gguf",  # byte-order mark
    "x\u2028.gguf",  # line separator
    "\ud800.gguf",  # a lone surrogate: no file system can take it
    "CON.gguf",
    "nul/x.gguf",
    "sub./x.gguf",
    ".hidden.gguf",
    "..\uff0fx.gguf",  # fullwidth solidus
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[ascii(n)[:30] for n in HOSTILE_NAMES])
def test_a_hostile_file_name_is_refused_before_any_byte(
    box: Sandbox, hub: HubServer, tiny: dict[str, bytes], name: str
) -> None:
    hub.repos[TINY_REPO].add(name, tiny[GIT_FILE])
    # The listing names the refusal and still offers the good files.
    listing = box.hub().list_files(TINY_REPO)
    assert any(shown(name) in p and "Refused file name" in p for p in listing.problems)
    assert F16 in {c.name for c in listing.choices}
    # Handed to the downloader anyway (a listing parsed elsewhere), it is refused too.
    remote = RemoteFile(name, len(tiny[GIT_FILE]), "0" * 64)
    request = DownloadRequest(TINY_REPO, "main", FileChoice((remote,), None))
    hub.requests.clear()
    fails_in_one_line(lambda: box.downloader().download(request), "Refused file name")
    assert hub.file_requests(name) == []
    box.finish()


# One of each kind through the real command (the downloader test above has them all).
CLI_NAMES = [
    "../../x.gguf",
    "/tmp/parrot-x.gguf",
    "..\\..\\x.gguf",
    "C:x.gguf",
    "x.gguf:evil.gguf",
    "x\x1b[2J.gguf",
    "a" * 300 + ".gguf",
    "evil\u202efuug.gguf",
    "nul/x.gguf",
]


@pytest.mark.parametrize("name", CLI_NAMES, ids=[ascii(n)[:30] for n in CLI_NAMES])
def test_the_cli_names_the_refusal_and_writes_nothing_outside(
    box: Sandbox, hub: HubServer, tiny: dict[str, bytes], name: str
) -> None:
    hub.repos[TINY_REPO].add(name, tiny[GIT_FILE])
    files = box.cli("models", "files", TINY_REPO, "--endpoint", hub.url)
    assert files.returncode == 0 and "Traceback" not in files.stderr
    assert f"parrotchat: warning: Refused file name {shown(name)}" in files.stderr
    assert name not in files.stdout  # not offered
    if not name.isprintable():
        assert name not in files.stderr  # and never printed raw
    line = one_line(box.cli("models", "download", TINY_REPO, "--file", name, "--endpoint", hub.url))
    assert f"Refused file name {shown(name)}" in line
    box.finish()


def test_odd_but_harmless_names_land_inside_the_library(
    box: Sandbox, hub: HubServer, tiny: dict[str, bytes]
) -> None:
    # One-dot leaders look like "..", but are an ordinary folder name everywhere.
    name = "\u2024\u2024/odd name.gguf"
    hub.repos[TINY_REPO].add(name, tiny[GIT_FILE])
    listing = box.hub().list_files(TINY_REPO)
    info = box.downloader().download(DownloadRequest.from_listing(listing, listing.find(file=name)))
    assert info.path == box.models / "odd name.gguf"
    box.finish(allowed=(box.models / "odd name.gguf",))


# --- sizes that lie ------------------------------------------------------------------------

SIZE_LIES: dict[str, dict[str, Any]] = {
    "bigger": {"size": 10**6},
    "smaller": {"size": 1000},
    "zero": {"size": 0},
    "negative": {"size": -5},
    "absurd": {"size": 10**30},
    "text": {"size": "many"},
    "fraction": {"size": 1.5},
    "boolean": {"size": True},
    "missing": {"size": None},
    "no-name": {"rfilename": None},
    "name-is-a-number": {"rfilename": 5},
}


@pytest.mark.parametrize("lie", list(SIZE_LIES))
def test_a_listing_that_lies_about_a_file_never_puts_it_in_the_library(
    box: Sandbox, hub: HubServer, lie: str
) -> None:
    hub.faults.patch_listing[GIT_FILE] = SIZE_LIES[lie]
    listing = box.hub().list_files(TINY_REPO)  # one bad entry does not sink the listing
    assert F16 in {c.name for c in listing.choices}
    line = one_line(
        box.cli("models", "download", TINY_REPO, "--quant", "Q8_0", "--endpoint", hub.url)
    )
    assert any(
        why in line
        for why in (
            "does not say how large",
            "the listing said",
            "not enough disk space",
            "no GGUF quantization Q8_0",
            "the download is corrupt",
        )
    ), line
    box.finish()


def test_a_body_longer_than_announced_is_cut_and_deleted(box: Sandbox, hub: HubServer) -> None:
    hub.faults.chunked_extra[GIT_FILE] = 10_000
    line = one_line(
        box.cli("models", "download", TINY_REPO, "--quant", "Q8_0", "--endpoint", hub.url)
    )
    assert "the server sent more than 438,496 bytes" in line
    assert not any(box.downloads.rglob("*.part")), "the overlong part was deleted"
    box.finish()


def test_a_server_that_states_another_size_is_refused(box: Sandbox, hub: HubServer) -> None:
    hub.faults.wrong_size[F16] = 10**12
    line = one_line(
        box.cli("models", "download", TINY_REPO, "--quant", "F16", "--endpoint", hub.url)
    )
    assert "the server says the file has 1,000,000,000,000 bytes" in line
    box.finish()


# --- answers that never end ----------------------------------------------------------------


@pytest.mark.parametrize("mode", HOSTILE_MODES)
@pytest.mark.parametrize("route", ["search", "info"])
def test_an_endless_search_or_listing_answer_is_cut_off(
    box: Sandbox, hub: HubServer, route: str, mode: str
) -> None:
    hub.faults.hostile[route] = mode
    client = box.hub()
    action = client.search if route == "search" else client.list_files
    started = time.monotonic()
    message = fails_in_one_line(lambda: action(TINY_REPO))
    assert any(w in message for w in ("too slowly", "sent too much", "stopped answering")), message
    print(f"\n{route} {mode}: {message} ({time.monotonic() - started:.1f} s)")
    box.finish()


@pytest.mark.parametrize("route", ["search", "info"])
def test_an_endless_answer_cannot_fill_the_clis_memory(
    box: Sandbox, hub: HubServer, route: str
) -> None:
    # The shipped bounds: the answer is cut at 64 MB (the process may use 3 GB).
    hub.faults.hostile[route] = "endless-body"
    args = ("search", "x") if route == "search" else ("files", TINY_REPO)
    line = one_line(box.cli("models", *args, "--endpoint", hub.url))
    assert "sent too much: its answer is larger than 64 MB" in line
    box.finish()


@pytest.mark.parametrize("mode", HOSTILE_MODES)
@pytest.mark.parametrize("route", ["resolve", "cdn"])
def test_an_endless_download_is_bounded_and_resumable(
    box: Sandbox, hub: HubServer, route: str, mode: str
) -> None:
    request = DownloadRequest.from_listing(
        listing := box.hub().list_files(TINY_REPO), listing.find(quant="F16")
    )
    hub.faults.hostile[route] = mode
    message = fails_in_one_line(
        lambda: box.downloader().download(request, control=DownloadControl())
    )
    assert any(
        w in message
        for w in ("too slowly", "the server sent more than", "stopped answering", "dropped")
    ), message
    print(f"\n{route} {mode}: {message}")
    box.finish()


def test_a_trickle_just_under_the_minimum_rate_is_cut_off(box: Sandbox, hub: HubServer) -> None:
    # 8 KiB every 0.45 s keeps every read inside the read timeout, forever.
    hub.faults.slow[F16] = (8 * 1024, 0.45)
    listing = box.hub().list_files(TINY_REPO)
    request = DownloadRequest.from_listing(listing, listing.find(quant="F16"))
    quick = Timeouts(connect=2, read=5, min_rate=20_000, rate_window=0.5)
    downloader = Downloader(
        HubClient(HubConfig(endpoint=hub.url), quick), box.models, box.downloads, retries=1
    )
    message = fails_in_one_line(
        lambda: downloader.download(request), "is sending too slowly", "(after 2 attempts)"
    )
    assert "are kept: run again to resume" in message
    box.finish()


# --- redirects -------------------------------------------------------------------------------


def test_redirects_in_a_loop_stop_after_five_hops(box: Sandbox, hub: HubServer) -> None:
    hub.faults.redirect[F16] = f"/{TINY_REPO}/resolve/main/{F16}"
    line = one_line(
        box.cli("models", "download", TINY_REPO, "--quant", "F16", "--endpoint", hub.url)
    )
    assert "too many redirects (more than 5)" in line
    box.finish()


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://example.invalid/x.gguf", "refused a redirect to another host (example.invalid)"),
        ("//evil.example/x.gguf", "refused a redirect to another host (evil.example)"),
        ("http://[::1]:9/x.gguf", "refused a redirect to another host (::1)"),
        ("http://127.0.0.1.evil.example/x.gguf", "another host (127.0.0.1.evil.example)"),
        ("file:///etc/passwd", "refused a redirect to a non-HTTP address"),
        ("ftp://example.com/x.gguf", "refused a redirect to a non-HTTP address"),
    ],
)
def test_a_redirect_off_the_hub_is_refused(
    box: Sandbox, hub: HubServer, location: str, why: str
) -> None:
    hub.faults.redirect[F16] = location
    listing = box.hub().list_files(TINY_REPO)
    request = DownloadRequest.from_listing(listing, listing.find(quant="F16"))
    fails_in_one_line(lambda: box.downloader().download(request), why)
    assert len(hub.file_requests(F16)) == 1, "refused at once, not retried"
    box.finish()


def test_the_token_stays_with_the_endpoints_own_port(
    box: Sandbox, hub: HubServer, tiny: dict[str, bytes]
) -> None:
    # Another server on the same host (a different port) is another server.
    with HubServer() as other:
        add_tiny_repo(other, tiny)
        sha = hub.repos[TINY_REPO].files[F16].sha256
        hub.faults.redirect[F16] = f"{other.url}/cdn/{sha}"
        listing = box.hub().list_files(TINY_REPO)
        request = DownloadRequest.from_listing(listing, listing.find(quant="F16"))
        box.downloader(token="hf_secret").download(request)
        (fetched,) = other.file_requests(F16)
        assert "authorization" not in fetched.headers
        assert hub.file_requests(F16)[-1].headers["authorization"] == "Bearer hf_secret"
    box.finish(allowed=(box.models / F16,))


def test_a_failed_redirect_names_the_host_it_went_to(box: Sandbox, hub: HubServer) -> None:
    hub.faults.redirect[F16] = "http://127.0.0.1:9/x.gguf"  # nothing listens on port 9
    listing = box.hub().list_files(TINY_REPO)
    request = DownloadRequest.from_listing(listing, listing.find(quant="F16"))
    fails_in_one_line(lambda: box.downloader().download(request), "cannot connect to 127.0.0.1:9")
    box.finish()


# --- search results --------------------------------------------------------------------------


def test_search_results_no_hub_would_give_are_left_out(box: Sandbox, hub: HubServer) -> None:
    hub.faults.extra_search[:] = [
        {"id": "evil\x1b]0;pwned\x07/x"},  # a terminal escape that retitles the window
        {"id": "../../etc"},
        {"id": 5},
        {"id": None},
        "not an object",
        None,
        {"id": "x" * 10_000},
        {"id": "ok/fine", "downloads": "many", "lastModified": 5, "tags": "x", "gguf": []},
    ]
    result = box.cli("models", "search", "", "--endpoint", hub.url)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "\x1b" not in result.stdout and "etc" not in result.stdout
    assert "ok/fine" in result.stdout and TINY_REPO in result.stdout
    box.finish()
