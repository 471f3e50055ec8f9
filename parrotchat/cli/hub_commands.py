"""`parrotchat models search|files|download`: the model hub from the command line.

For admins provisioning many machines, often against an internal mirror
(`--endpoint URL`, `HF_ENDPOINT`, or Settings → Network). Progress goes to stderr,
results to stdout (`--json` for scripts). `download` resumes what an earlier run left,
verifies the SHA-256 and exits 0 only once the file is in the library under its original
name; Ctrl-C pauses it (run the same command again to continue).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from parrotchat.cli.context import CliContext
from parrotchat.core.errors import ParrotError
from parrotchat.core.hub.client import HubClient, SortKey
from parrotchat.core.hub.config import HubConfig
from parrotchat.core.hub.download_control import DownloadProgress
from parrotchat.core.hub.downloads import Downloader, DownloadRequest
from parrotchat.core.hub.files import FileChoice, RepoListing, RepoSummary
from parrotchat.core.models.info import human_bytes
from parrotchat.core.models.remote_fit import ChoiceFit, MachineMemory, assess_listing, recommended

_BADGES = {"fits": "fits", "partial_offload": "partial GPU", "too_large": "too large"}


def hub_config(ctx: CliContext, args: argparse.Namespace) -> HubConfig:
    endpoint = getattr(args, "sub_endpoint", None) or getattr(args, "endpoint", None)
    offline = bool(getattr(args, "offline", False))
    return HubConfig.from_settings(ctx.settings, endpoint=endpoint, offline=offline or None)


def run_hub(ctx: CliContext, args: argparse.Namespace) -> int:
    hub = HubClient(hub_config(ctx, args))
    as_json = bool(getattr(args, "sub_json", False) or args.json)
    command = args.models_command
    if command == "search":
        return _search(hub, args.text, args.sort, args.limit, as_json)
    fits = _fits(ctx, hub.list_files(args.repo_id, args.revision))
    if command == "files":
        return _files(fits, as_json)
    return _download(ctx, hub, fits, args, as_json)


# --- search and files ----------------------------------------------------------------------


def _summary_dict(r: RepoSummary) -> dict[str, Any]:
    return {
        "repo_id": r.repo_id,
        "author": r.author,
        "downloads": r.downloads,
        "likes": r.likes,
        "last_modified": r.last_modified.isoformat() if r.last_modified else None,
        "parameters": r.gguf.parameters,
        "architecture": r.gguf.architecture,
        "context_length": r.gguf.context_length,
    }


def _search(hub: HubClient, text: str, sort: SortKey, limit: int, as_json: bool) -> int:
    found = hub.search(text, sort=sort, limit=limit)
    if as_json:
        print(json.dumps([_summary_dict(r) for r in found], ensure_ascii=False))
        return 0
    if not found:
        print(f"No GGUF repositories match '{text}'", file=sys.stderr)
    for r in found:
        date = r.last_modified.date().isoformat() if r.last_modified else "-"
        params = f"{r.gguf.parameters / 1e9:.1f}B" if r.gguf.parameters else "-"
        print(f"{r.repo_id:<56} {r.downloads or 0:>10,} ↓ {r.likes or 0:>6,} ♥  {date}  {params}")
    return 0


class _Fits:
    def __init__(self, listing: RepoListing, fits: list[ChoiceFit]) -> None:
        self.listing, self.fits = listing, fits


def _fits(ctx: CliContext, listing: RepoListing) -> _Fits:
    memory = MachineMemory.measure()
    return _Fits(listing, assess_listing(listing, memory, ctx.settings.context_length))


def _choice_dict(listing: RepoListing, f: ChoiceFit) -> dict[str, Any]:
    c = f.choice
    return {
        "name": c.name,
        "label": c.label,
        "path": c.key,
        "quantization": c.quantization,
        "size_bytes": c.size,
        "files": [
            {"path": p.path, "size_bytes": p.size, "sha256": p.sha256, "blob_id": p.blob_id}
            for p in c.files
        ],
        "sha256": c.files[0].sha256 if len(c.files) == 1 else None,
        "fit": f.fit.fit.value,
        "fit_reason": f.fit.reason,
        "recommended": f.recommended,
        "revision": listing.revision,
    }


def _files(result: _Fits, as_json: bool) -> int:
    listing = result.listing
    if as_json:
        print(json.dumps([_choice_dict(listing, f) for f in result.fits], ensure_ascii=False))
    else:
        if not result.fits:
            print(f"{listing.repo_id} has no GGUF files ParrotChat can use", file=sys.stderr)
        for f in result.fits:
            c = f.choice
            mark = "*" if f.recommended else " "
            sha = (c.files[0].sha256 or "")[:12] if len(c.files) == 1 else f"{len(c.files)} parts"
            print(
                f"{mark} {c.label:<60} {c.quantization or '?':<9} {human_bytes(c.size):>9}  "
                f"{_BADGES[f.fit.fit.value]:<11} {sha}"
            )
        if any(f.recommended for f in result.fits):
            print("* recommended for this machine", file=sys.stderr)
    for problem in listing.problems:
        print(f"parrotchat: warning: {problem}", file=sys.stderr)
    return 0


# --- download ------------------------------------------------------------------------------


def _pick(result: _Fits, args: argparse.Namespace) -> FileChoice:
    listing = result.listing
    if args.file or args.quant:
        return listing.find(file=args.file, quant=args.quant)
    choice = recommended(result.fits)
    if choice is None:
        raise ParrotError(
            f"{listing.repo_id}: no file fits this machine's free memory; "
            "pick one with --file or --quant (see `parrotchat models files`)"
        )
    print(f"parrotchat: choosing {choice.label} (recommended for this machine)", file=sys.stderr)
    return choice


class ProgressPrinter:
    """Progress on stderr: one updating line on a terminal, a line per 10% otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last_line = 0.0
        self.last_step = -1
        self.last_phase = ""
        self.phases: set[str] = set()

    def __call__(self, p: DownloadProgress) -> None:
        self.phases.add(p.phase)
        percent = int(p.fraction * 100)
        changed = p.phase != self.last_phase
        if not self.tty and not changed and percent // 10 == self.last_step:
            return
        if self.tty and not changed and time.monotonic() - self.last_line < 0.2:
            return
        self.last_phase, self.last_step, self.last_line = p.phase, percent // 10, time.monotonic()
        text = f"parrotchat: {p.file}: {p.phase} {percent:3d}% ({human_bytes(p.done)} of "
        text += f"{human_bytes(p.total)}"
        if p.phase == "downloading" and p.speed > 0:
            text += f", {human_bytes(int(p.speed))}/s"
            if p.eta is not None:
                text += f", {int(p.eta) // 60}:{int(p.eta) % 60:02d} left"
        text += ")"
        if self.tty:
            self.out.write(f"\r{text:<100}")
        else:
            self.out.write(text + "\n")
        self.out.flush()

    def finish(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


def _download(
    ctx: CliContext, hub: HubClient, result: _Fits, args: argparse.Namespace, as_json: bool
) -> int:
    choice = _pick(result, args)
    request = DownloadRequest.from_listing(result.listing, choice)
    downloader = Downloader(hub, ctx.paths.models_dir, ctx.paths.downloads_dir)
    printer = ProgressPrinter(sys.stderr)
    try:
        info = downloader.download(request, progress=printer)
    except KeyboardInterrupt:
        printer.finish()
        print(
            f"parrotchat: {choice.name}: paused; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    printer.finish()
    if as_json:
        record = {
            "name": info.name,
            "display_name": info.display_name,
            "path": str(info.path),
            "files": [str(f) for f in info.files],
            "quantization": info.quantization,
            "size_bytes": info.size_bytes,
            "repo_id": request.repo_id,
            "revision": request.revision,
        }
        print(json.dumps(record, ensure_ascii=False))
    else:
        fetched = {"checking", "downloading"} & printer.phases
        what = "Downloaded" if fetched else "Already in the library (verified):"
        print(f"{what} {info.display_name} ({info.quantization}, {human_bytes(info.size_bytes)})")
        print(f"  as {info.path}")
    return 0
