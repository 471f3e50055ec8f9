"""`parrotchat models list|import|remove|recommended` (search|files|download:
hub_commands.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from parrotchat.cli.context import CliContext
from parrotchat.core.models.info import ModelInfo, show_path


def _as_dict(m: ModelInfo) -> dict[str, Any]:
    return {
        "name": m.name,
        "display_name": m.display_name,
        "path": str(m.path),
        "files": [str(f) for f in m.files],
        "architecture": m.architecture,
        "parameters": m.parameter_count,
        "quantization": m.quantization,
        "context_length": m.context_length,
        "size_bytes": m.size_bytes,
        "chat_template": m.chat_template_kind,
        "source": m.source,
    }


def _json(value: object) -> str:
    # A file name that is not UTF-8 (a lone surrogate in Python) cannot be printed as
    # UTF-8; escaped as \udcXX it is still valid JSON and reads back as the same path.
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty() and total:
        sys.stderr.write(f"\r{done * 100 // total:3d}%  {done >> 20} / {total >> 20} MB")
        sys.stderr.flush()


def run_models(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.models_command in ("search", "files", "download"):
        from parrotchat.cli.hub_commands import run_hub  # the network side, loaded on use

        return run_hub(ctx, args)
    if args.models_command == "recommended":
        return _recommended(ctx, bool(args.sub_json or args.json))
    library = ctx.library()
    if args.models_command == "list":
        models = library.scan()
        if args.sub_json or args.json:
            print(_json([_as_dict(m) for m in models]))
        else:
            for m in models:
                size = m.size_bytes / 1e6
                print(
                    f"{m.display_name:<40} {m.quantization:<8} {size:>9.1f} MB  {show_path(m.path)}"
                )
        for problem in library.problems:
            print(f"parrotchat: warning: {problem}", file=sys.stderr)
        return 0
    if args.models_command == "import":
        info = library.import_model(Path(args.path), copy=not args.reference, progress=_progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        print(f"Imported {info.display_name} ({info.quantization}) as {show_path(info.path)}")
        return 0
    freed = library.remove(args.name)
    print(f"Removed {show_path(Path(args.name))}; {freed / 1e6:.1f} MB freed")
    return 0


_COMMERCIAL = {
    "yes": "commercial use",
    "conditions": "commercial use, conditions",
    "no": "no commercial use",
}
_FIT = {"fits": "fits", "partial_offload": "partly on GPU", "too_large": "too large"}


def _recommended(ctx: CliContext, as_json: bool) -> int:
    from parrotchat.core.models.catalog import as_dicts, load_catalog
    from parrotchat.core.models.remote_fit import MachineMemory

    catalog = load_catalog(ctx.paths.config_dir)
    records = as_dicts(catalog.entries, MachineMemory.measure(), ctx.settings.context_length)
    if as_json:
        print(_json(records))
    else:
        for r in records:
            preferred = next(f for f in r["files"] if f["path"] == r["preferred_file"])
            size = preferred["size_bytes"] / 1e9
            approx = "~" if preferred["size_approximate"] else " "
            print(
                f"{r['name']:<38} {r['architecture']:<8} {preferred['quantization']:<7} "
                f"{approx}{size:5.2f} GB  {_FIT[r['fit']]:<13} {','.join(r['languages'][:6]):<18} "
                f"{r['license']['name']} ({_COMMERCIAL[r['license']['commercial_use']]})"
            )
            print(f"    {r['repo_id']}/{r['preferred_file']}")
        if records:
            print("~ approximate size: see docs/model-catalog.md", file=sys.stderr)
    for problem in catalog.problems:
        print(f"parrotchat: warning: {problem}", file=sys.stderr)
    return 0
