"""Entry point and composition root: parse arguments, then run a command or the window."""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from collections.abc import Sequence

from parrotchat.cli.parser import build_parser
from parrotchat.core.errors import ParrotError
from parrotchat.frozen import prepare_process


def main(argv: Sequence[str] | None = None) -> int:
    # Windowed builds have no console (sys.stdout is None); frozen builds name their
    # bundled starter model. Both before anything prints or spawns the engine.
    prepare_process()
    # A frozen build starts its engine process by re-invoking itself.
    multiprocessing.freeze_support()
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except ParrotError as exc:
        print(f"parrotchat: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("parrotchat: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from parrotchat.cli.context import CliContext

    ctx = CliContext.create(args.data_dir)
    command = args.command
    if args.self_test:
        from parrotchat.cli.self_test import run_self_test

        return run_self_test(ctx, args.model, bool(args.json))
    if command == "ask":
        from parrotchat.cli.chat_commands import run_ask

        return run_ask(ctx, args)
    if command == "chat":
        from parrotchat.cli.terminal_chat import run_chat

        return run_chat(ctx, args)
    if command == "bench":
        from parrotchat.cli.bench import run_bench

        return run_bench(
            ctx,
            args.bench_model or args.model,
            args.threads,
            args.prompt_tokens,
            args.reply_tokens,
            bool(args.sub_json or args.json),
            input_path=args.bench_input,
            template=args.bench_template,
            speculative=args.speculative == "on",
        )
    if command == "serve":
        from parrotchat.cli.serve_command import run_serve

        return run_serve(ctx, args)
    if command == "chats":
        from parrotchat.cli.chats_commands import run_chats

        return run_chats(ctx, args)
    if command == "docs":
        from parrotchat.cli.docs_commands import run_docs

        return run_docs(ctx, args)
    if command == "servers":
        from parrotchat.cli.server_commands import run_servers

        return run_servers(ctx, args)
    if command == "models":
        from parrotchat.cli.model_commands import run_models

        return run_models(ctx, args)
    return _open_window(ctx, args)


def _open_window(ctx: object, args: object) -> int:
    try:
        from parrotchat.gui.main import run_window
    except ModuleNotFoundError as exc:
        if exc.name != "parrotchat.gui.main":
            raise
        # A build without the window: a bare `parrotchat` still proves the machine can chat.
        from parrotchat.cli.context import CliContext
        from parrotchat.cli.self_test import run_self_test

        assert isinstance(ctx, CliContext)
        return run_self_test(ctx, getattr(args, "model", None), False)
    return run_window(ctx, args)


if __name__ == "__main__":
    raise SystemExit(main())
