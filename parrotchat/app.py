"""Entry point and composition root: parse arguments, then run a command or the window."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence

from parrotchat.cli.parser import build_parser
from parrotchat.core.errors import ParrotError


def main(argv: Sequence[str] | None = None) -> int:
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


def _run(args: object) -> int:
    from parrotchat.cli.context import CliContext

    ctx = CliContext.create(getattr(args, "data_dir", None))
    command = getattr(args, "command", None)
    if getattr(args, "self_test", False):
        from parrotchat.cli.self_test import run_self_test

        return run_self_test(ctx, getattr(args, "model", None), bool(getattr(args, "json", False)))
    if command == "ask":
        from parrotchat.cli.chat_commands import run_ask

        return run_ask(ctx, args)  # type: ignore[arg-type]
    if command == "chats":
        from parrotchat.cli.chat_commands import run_chats

        return run_chats(ctx, args)  # type: ignore[arg-type]
    if command == "models":
        from parrotchat.cli.model_commands import run_models

        return run_models(ctx, args)  # type: ignore[arg-type]
    return _open_window(ctx, args)


def _open_window(ctx: object, args: object) -> int:
    try:
        from parrotchat.gui.main import run_window  # type: ignore[import-not-found]
    except ImportError:
        # Until the window lands, a bare `parrotchat` proves the machine can chat.
        from parrotchat.cli.context import CliContext
        from parrotchat.cli.self_test import run_self_test

        assert isinstance(ctx, CliContext)
        return run_self_test(ctx, getattr(args, "model", None), False)
    result: int = run_window(ctx, args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
