"""`parrotchat ask` and `parrotchat chats list|show`."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import LoadedSession, engine_with_model, remote_session
from parrotchat.conversation import run_turn
from parrotchat.core.chats.export import export_json
from parrotchat.core.errors import ParrotError
from parrotchat.core.languages import ui_language
from parrotchat.core.prompt_templates import TemplateLibrary

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo


def _title_for(text: str) -> str:
    line = " ".join(text.split())
    return line[:60] + ("…" if len(line) > 60 else "") or "New chat"


def run_ask(ctx: CliContext, args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise ParrotError("Nothing to send: the message is empty")
    settings = ctx.settings
    sampling = settings.sampling
    system_prompt = args.system if args.system is not None else settings.system_prompt
    user_text = text
    if args.template:
        template = TemplateLibrary(ctx.paths.user_templates_dir).get(args.template)
        values = {"text": text}
        if args.language:
            values["language"] = args.language
        lang = "ko" if ui_language(settings.ui_language) == "ko" else "en"
        rendered = template.render(values, lang=lang)
        user_text = rendered.user
        if rendered.system and args.system is None:
            system_prompt = rendered.system
        sampling = sampling.with_overrides(rendered.sampling)
    sampling = sampling.with_overrides(
        {"temperature": args.temperature, "max_tokens": args.max_tokens, "seed": args.seed}
    )
    model = None if args.server else ctx.model(args.ask_model or args.model)
    session = _session(ctx, args, model)  # checks the arguments; starts nothing yet
    store = ctx.store()
    try:
        if args.chat is not None:
            chat = store.get_chat(args.chat)
            chat_id = chat.id
        else:
            chat_id = store.create_chat(
                _title_for(text),
                model=model.name if model else args.ask_model or args.server,
                settings={"system_prompt": system_prompt},
            )
        store.add_message(chat_id, "user", user_text)
        with session as s:
            result = run_turn(
                s.client,
                store,
                chat_id,
                system_prompt=system_prompt,
                sampling=sampling,
                overflow=args.overflow or settings.overflow_policy,
                model_name=s.model_name,
                on_text=_print_piece,
                chat_format=args.chat_format,
            )
        sys.stdout.write("\n")
        _report_stats(chat_id, result.stats)
    finally:
        store.close()
    return 0


def _session(
    ctx: CliContext, args: argparse.Namespace, model: ModelInfo | None
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
    return engine_with_model(ctx, model, n_ctx=args.context, chat_format=args.chat_format)


def _print_piece(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _report_stats(chat_id: int, stats: dict[str, Any]) -> None:
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


def run_chats(ctx: CliContext, args: argparse.Namespace) -> int:
    store = ctx.store()
    try:
        if args.chats_command == "list":
            chats = store.list_chats(args.search)
            if args.sub_json or args.json:
                print(json.dumps([asdict(c) for c in chats], ensure_ascii=False, default=str))
            else:
                for c in chats:
                    print(f"{c.id:>5}  {c.updated_at!s:<26} {c.message_count:>4} msgs  {c.title}")
            return 0
        chat = store.get_chat(args.id)
        if args.sub_json or args.json:
            print(export_json(chat))
        else:
            print(f"# {chat.title}")
            for m in chat.messages:
                print(f"\n[{m.role}] {m.content}")
        return 0
    finally:
        store.close()
