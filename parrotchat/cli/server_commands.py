"""`parrotchat servers add|list|test|remove`: the OpenAI-compatible servers to chat through."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from typing import Any

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import api_key_from_env
from parrotchat.core.errors import ParrotError
from parrotchat.core.servers import (
    ServerConfig,
    ServerStore,
    check_ca_bundle,
    check_name,
    check_proxy,
    describe_key_location,
    normalize_base_url,
)


def run_servers(ctx: CliContext, args: argparse.Namespace) -> int:
    store = ServerStore(ctx.paths.servers_file)
    as_json = bool(getattr(args, "sub_json", False) or args.json)
    match args.servers_command:
        case "add":
            return _add(store, args)
        case "list":
            return _list(store, as_json)
        case "test":
            return _test(store, args.server, args.api_key_env, as_json)
        case "remove":
            store.remove(args.name)
            print(f"Removed server {args.name} and its key")
            return 0
    raise ParrotError(f"Unknown servers action '{args.servers_command}'")


def _positive(value: float | None, what: str) -> float | None:
    if value is not None and not 0 < value <= 3600:
        raise ParrotError(f"{what} {value:g}: give seconds between 0 and 3600")
    return value


def _add(store: ServerStore, args: argparse.Namespace) -> int:
    name = check_name(args.name)
    config = ServerConfig(name=name, base_url=normalize_base_url(args.url))
    if args.ca_bundle:
        config = replace(config, ca_bundle=check_ca_bundle(args.ca_bundle))
    if args.proxy:
        config = replace(config, proxy=check_proxy(args.proxy))
    if (connect := _positive(args.connect_timeout, "--connect-timeout")) is not None:
        config = replace(config, connect_timeout_s=connect)
    if (read := _positive(args.read_timeout, "--read-timeout")) is not None:
        config = replace(config, read_timeout_s=read)
    if args.context is not None:
        if not 256 <= args.context <= 10_000_000:
            raise ParrotError(f"--context {args.context}: give a length from 256 tokens")
        config = replace(config, context_length=args.context)
    existed = name in store.names()
    location = store.save(config, api_key_from_env(args.api_key_env))
    print(
        f"{'Replaced' if existed else 'Saved'} server {name} ({config.base_url}); API key: "
        f"{describe_key_location(location, store)}"
    )
    print(f"Check it with: parrotchat servers test {name}")
    return 0


def _list(store: ServerStore, as_json: bool) -> int:
    servers = store.servers()
    backend = store.credentials.backend()
    rows: list[dict[str, Any]] = []
    for s in servers:
        location = store.key_location(s.name)
        rows.append(
            {
                **s.to_record(),
                "api_key": location,
                "api_key_where": describe_key_location(location, store),
            }
        )
    if as_json:
        print(json.dumps({"credential_store": backend, "servers": rows}, ensure_ascii=False))
        return 0
    if backend:
        print(f"API keys go to the system credential store ({backend}).")
    else:
        print(
            f"No system credential store is usable here: API keys are kept in "
            f"{store.path} (readable by you only)."
        )
    if not rows:
        print("No servers saved yet: parrotchat servers add NAME URL")
    for row in rows:
        extras = [row["api_key_where"]]
        if row["ca_bundle"]:
            extras.append(f"CA bundle {row['ca_bundle']}")
        if row["proxy"]:
            extras.append(f"proxy {row['proxy']}")
        if row["context_length"]:
            extras.append(f"context {row['context_length']}")
        print(f"{row['name']:<16} {row['base_url']:<40} {'; '.join(extras)}")
    return 0


def _test(store: ServerStore, server: str, api_key_env: str | None, as_json: bool) -> int:
    from parrotchat.engine.remote.probe import check_server

    config = store.resolve(server, api_key_from_env(api_key_env))
    info = check_server(config)
    models = [
        {"id": m.id, "n_ctx": m.n_ctx or info.n_ctx or config.context_length} for m in info.models
    ]
    if as_json:
        report = {
            "server": config.name,
            "base_url": config.base_url,
            "kind": info.kind,
            "version": info.version,
            "latency_ms": round(info.latency_s * 1000, 1),
            "models": models,
        }
        print(json.dumps(report, ensure_ascii=False))
        return 0
    version = f" {info.version}" if info.version else ""
    print(
        f"{config.label}: {info.kind}{version}, answered in {info.latency_s * 1000:.0f} ms, "
        f"{len(models)} model{'s' if len(models) != 1 else ''}"
    )
    for m in models:
        context = f"  (context {m['n_ctx']})" if m["n_ctx"] else ""
        print(f"  {m['id']}{context}")
    return 0
