"""`parrotchat ask`: send a message and stream the reply."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from parrotchat.cli.ask_docs import document_query, print_sources
from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import LoadedSession, engine_with_model, remote_session
from parrotchat.cli.progress import ProgressLine, ReadingNote
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.errors import ParrotError
from parrotchat.core.languages import ui_language
from parrotchat.core.prompt_templates import TemplateLibrary
from parrotchat.service.chat_service import ChatService
from parrotchat.service.run_turn import run_turn

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo


def run_ask(ctx: CliContext, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise ParrotError("Nothing to send: the message is empty")
    model = None if args.server else ctx.model(args.ask_model or args.model)
    # A person at a terminal sees the model load; a pipe, a file or --json get nothing.
    progress = ProgressLine(sys.stderr, enabled=not args.json)
    session = open_session(ctx, args, model, progress.update)  # checks the arguments only
    store = ctx.store()
    service = ChatService(store, ctx.settings)
    closing = ExitStack()
    try:
        # A continued chat keeps its own settings; what this command's options say
        # goes over them for this message, and a new chat keeps it as its own.
        chat = store.get_chat_tail(args.chat, 0) if args.chat is not None else None
        user_text, chat_settings = message_and_settings(ctx, args, text, service.settings_of(chat))
        names = chat_settings.documents
        documents = closing.enter_context(document_query(ctx, names)) if names else None
        if chat is not None:
            chat_id = chat.id
        else:
            model_name = model.display_name if model else args.ask_model or args.server
            chat_id = service.create_chat(text, model_name, chat_settings)
        service.add_user_message(chat_id, user_text)
        progress.show(loading_label(model, args.server))
        with session as s:
            progress.clear()
            reading = ReadingNote(progress, _print_piece)
            result = run_turn(
                s.engine,
                service,
                chat_id,
                chat_settings,
                model_name=s.model_name,
                n_ctx=s.n_ctx,
                chat_format=args.chat_format,
                on_text=reading.text,
                on_progress=reading.progress,
                documents=documents,
            )
        progress.clear()  # a reply stopped before its first word
        sys.stdout.write("\n")
        if documents is not None:
            print_sources(result.stats)
        report_stats(chat_id, result.stats)
    finally:
        progress.clear()  # a load that failed: its error line starts clean
        closing.close()
        store.close()
    return 0


def loading_label(model: ModelInfo | None, server: str | None) -> str:
    if model is None:
        return f"Connecting to {server}…"
    return f"Loading {model.display_name}…"


def message_and_settings(
    ctx: CliContext, args: argparse.Namespace, text: str, chat_settings: ChatSettings
) -> tuple[str, ChatSettings]:
    """The message to send and the settings to send it with: the chat's own, then a
    template's, then the command line's."""
    user_text = text
    if args.template:
        template = TemplateLibrary(ctx.paths.user_templates_dir).get(args.template)
        values = {"text": text}
        if args.language:
            values["language"] = args.language
        lang = "ko" if ui_language(ctx.settings.ui_language) == "ko" else "en"
        rendered = template.render(values, lang=lang)
        user_text = rendered.user
        chat_settings = chat_settings.with_template(rendered.system, rendered.sampling)
    sampling = chat_settings.sampling.with_overrides(
        {"temperature": args.temperature, "max_tokens": args.max_tokens, "seed": args.seed}
    )
    return user_text, replace(
        chat_settings,
        system_prompt=chat_settings.system_prompt if args.system is None else args.system,
        sampling=sampling,
        overflow_policy=args.overflow or chat_settings.overflow_policy,
        documents=tuple(getattr(args, "docs", None) or chat_settings.documents),
    )


def open_session(
    ctx: CliContext,
    args: argparse.Namespace,
    model: ModelInfo | None,
    on_progress: Callable[[float], None] | None = None,
) -> AbstractContextManager[LoadedSession]:
    """A model on a server (--server), else the local model in an engine process."""
    if args.server is not None:
        if args.chat_format is not None:
            raise ParrotError("--chat-format is for local models: a server renders its own")
        return remote_session(
            ctx, args.server, args.ask_model, api_key_env=args.api_key_env, n_ctx=args.context
        )
    if args.api_key_env is not None:
        raise ParrotError("--api-key-env goes with --server (a local model needs no key)")
    assert model is not None
    return engine_with_model(
        ctx, model, n_ctx=args.context, chat_format=args.chat_format, on_progress=on_progress
    )


def _print_piece(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def report_stats(chat_id: int, stats: dict[str, Any]) -> None:
    parts = [f"chat {chat_id}"]
    if stats.get("reply_tokens") is not None:
        parts.append(f"{stats.get('reply_tokens', 0)} tokens")
    if stats.get("tokens_per_s"):
        parts.append(f"{stats['tokens_per_s']:.1f} tokens/s")
    if stats.get("stop_reason"):
        parts.append(f"stop: {stats['stop_reason']}")
    if stats.get("dropped_messages"):
        parts.append(f"{stats['dropped_messages']} oldest messages left out to fit the context")
    print(f"[{', '.join(parts)}]", file=sys.stderr)
