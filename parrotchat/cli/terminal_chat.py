"""`parrotchat chat`: a conversation in the terminal, turn after turn, saved as a chat.

The same chat service as the window and `ask`: the chat is created with its first
message (and titled by it), each message is saved before the model hears of it, and
each reply is saved as it streams. Ctrl-C during a reply asks the engine to stop and
keeps what was written (a second Ctrl-C leaves); at the prompt it only clears the
line. Ctrl-D (end of input) or /exit leaves. From a pipe or a file, each line is one
message and no prompt is shown; in both, a message of several lines goes between
lines of three double quotes.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

from parrotchat.cli.chat_commands import (
    loading_label,
    message_and_settings,
    open_session,
    report_stats,
)
from parrotchat.cli.context import CliContext
from parrotchat.cli.progress import ProgressLine, ReadingNote
from parrotchat.core.chats.settings import ChatSettings
from parrotchat.core.errors import ParrotError
from parrotchat.engine.calls import EngineFailure
from parrotchat.engine.protocol import Engine
from parrotchat.service.chat_service import ChatService
from parrotchat.service.model_load import LoadedSession
from parrotchat.service.run_turn import run_turn

EXIT_WORDS = frozenset({"/exit", "/quit", "/bye"})
PROMPT = "> "
CONTINUE_PROMPT = ". "
BLOCK = '"""'


def run_chat(ctx: CliContext, args: argparse.Namespace) -> int:
    interactive = _is_terminal(sys.stdin)
    model = None if args.server else ctx.model(args.ask_model or args.model)
    progress = ProgressLine(sys.stderr, enabled=not args.json)
    session = open_session(ctx, args, model, progress.update)  # checks the arguments only
    store = ctx.store()
    service = ChatService(store, ctx.settings)
    chat_id: int | None = None
    try:
        chat = store.get_chat_tail(args.chat, 0) if args.chat is not None else None
        # This session's options go over the chat's own settings (or the defaults)
        # for every turn; a new chat keeps them as its own.
        _, chat_settings = message_and_settings(ctx, args, "", service.settings_of(chat))
        progress.show(loading_label(model, args.server))
        with session as s:
            progress.clear()
            if chat is not None:
                chat_id = chat.id
                _note(f"Continuing chat {chat.id}: {chat.title}", interactive)
            _note(
                f"Chatting with {s.model_name}. Ctrl-C stops a reply; Ctrl-D or /exit leaves.",
                interactive,
            )
            for text in _messages(interactive):
                if chat_id is None:  # created with its first message, named after it
                    chat_id = service.create_chat(text, s.model_name, chat_settings)
                service.add_user_message(chat_id, text)
                _reply(s, service, chat_id, chat_settings, args.chat_format, interactive, progress)
    finally:
        progress.clear()
        store.close()
        if chat_id is not None:
            print(f"[chat {chat_id} saved]", file=sys.stderr)
    return 0


def _messages(interactive: bool) -> Iterator[str]:
    """The user's messages, one a line, up to end of input or an exit word.

    A message of several lines (a pasted letter, code) goes between lines of three
    double quotes, as in Python and `ollama run`.
    """
    if interactive:
        _line_editing()
    while True:
        try:
            line = _read_line(interactive, PROMPT)
            if line is None:  # Ctrl-D, or the end of the pipe
                break
            if line.strip().startswith(BLOCK):
                line = _read_block(interactive, line.strip()[len(BLOCK) :])
                if line is None:
                    break
        except KeyboardInterrupt:  # at the prompt: a fresh line, as a shell does
            print(file=sys.stderr)
            continue
        if line.strip().casefold() in EXIT_WORDS:
            break
        if line.strip():
            yield line
    if interactive:
        print(file=sys.stderr)  # leave the shell's prompt on a line of its own


def _read_line(interactive: bool, prompt: str) -> str | None:
    """One line without its end; None at the end of input."""
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line.rstrip("\r\n") if line else None


def _read_block(interactive: bool, first: str) -> str | None:
    """The lines up to the closing quotes; what came after the opening ones starts it.

    The end of input closes the block: what was typed is sent, not lost."""
    lines = []
    line: str | None = first
    while line is not None:
        if line.rstrip().endswith(BLOCK):
            lines.append(line.rstrip()[: -len(BLOCK)])
            break
        lines.append(line)
        line = _read_line(interactive, CONTINUE_PROMPT)
    text = "\n".join(lines).strip("\n")
    return text if text or line is not None else None


def _reply(
    session: LoadedSession,
    service: ChatService,
    chat_id: int,
    chat_settings: ChatSettings,
    chat_format: str | None,
    interactive: bool,
    progress: ProgressLine,
) -> None:
    """Stream one reply to stdout; Ctrl-C stops it, a failure of the turn is told and
    the conversation goes on (a crashed engine ends it)."""
    stop = _StopOnInterrupt(session.engine)

    def show(piece: str) -> None:
        stop.repeat_if_asked()
        sys.stdout.write(piece)
        sys.stdout.flush()

    reading = ReadingNote(progress, show)

    try:
        with stop:
            try:
                result = run_turn(
                    session.engine,
                    service,
                    chat_id,
                    chat_settings,
                    model_name=session.model_name,
                    n_ctx=session.n_ctx,
                    chat_format=chat_format,
                    on_text=reading.text,
                    on_progress=reading.progress,
                )
            finally:
                progress.clear()  # a turn that ended before its first word leaves no note
    except EngineFailure as exc:
        if exc.kind == "crashed":
            raise
        sys.stdout.write("\n")
        print(f"parrotchat: error: {exc}", file=sys.stderr)
        return
    except ParrotError as exc:
        sys.stdout.write("\n")
        print(f"parrotchat: error: {exc}", file=sys.stderr)
        return
    sys.stdout.write("\n\n" if interactive else "\n")
    sys.stdout.flush()
    stats = result.stats
    if stats.get("stop_reason") in ("cancelled", "length", "context_full") or stats.get(
        "dropped_messages"
    ):
        report_stats(chat_id, stats)


class _StopOnInterrupt:
    """While a reply streams, Ctrl-C asks the engine to stop (the reply so far is kept);
    a second Ctrl-C leaves the program."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.asked = False
        self._asked_again = False
        self._previous: object = None

    def __enter__(self) -> _StopOnInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def _on_interrupt(self, _signum: int, _frame: FrameType | None) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True
        self._engine.cancel()

    def repeat_if_asked(self) -> None:
        # Ctrl-C before the request reached the engine found nothing to cancel: a
        # token after it means the reply runs, so ask again.
        if self.asked and not self._asked_again:
            self._asked_again = True
            self._engine.cancel()


def _note(text: str, interactive: bool) -> None:
    if interactive:
        print(text, file=sys.stderr)


def _line_editing() -> None:
    """Arrow keys and history at the prompt, where the platform has readline."""
    with contextlib.suppress(ImportError):  # Windows: the console edits lines itself
        import readline  # noqa: F401


def _is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False
