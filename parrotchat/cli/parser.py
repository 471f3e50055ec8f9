"""Command-line arguments, shared by the window and the headless commands."""

from __future__ import annotations

import argparse

from parrotchat import __version__
from parrotchat.cli.docs_commands import add_docs_commands


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="parrotchat",
        description="Chat with local language models (GGUF) on your own machine. "
        "Plain `parrotchat`, with no COMMAND, opens the chat window.",
        epilog="The options above go before or after the COMMAND: `parrotchat --offline "
        "models search qwen` and `parrotchat models search qwen --offline` are the same. "
        "`parrotchat COMMAND --help` tells more about each command.",
    )
    p.add_argument("--version", action="version", version=f"ParrotChat {__version__}")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep settings, chats and models in DIR (portable install; also PARROTCHAT_HOME)",
    )
    p.add_argument("--self-test", action="store_true", help="load a model, answer one prompt, exit")
    p.add_argument("--model", metavar="PATH", help="model file or library name (default: settings)")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument(
        "--endpoint",
        metavar="URL",
        help="model hub address, e.g. an internal mirror (overrides HF_ENDPOINT and settings)",
    )
    p.add_argument("--offline", action="store_true", help="no network: hub commands refuse to run")
    sub = p.add_subparsers(
        dest="command", metavar="COMMAND", title="commands (none: open the window)"
    )

    ask = sub.add_parser("ask", help="send one message and stream the reply to stdout")
    ask.add_argument("text", help="the message ('-' reads standard input)")
    ask.add_argument("--chat", type=int, metavar="ID", help="continue this chat (default: new)")
    ask.add_argument("--template", metavar="NAME", help="translate, summarize or your own template")
    ask.add_argument("--language", metavar="LANG", help="target language for translate (ko, en…)")
    ask.add_argument(
        "--docs",
        action="append",
        metavar="NAME",
        help="answer from this document collection, citing its sources (repeat for more)",
    )
    _add_turn_options(ask)

    chat = sub.add_parser(
        "chat",
        help="talk with a model in this terminal, turn after turn (saved as a chat)",
        description="An interactive conversation in the terminal, saved as a chat like the "
        "window's. Type a message and press Enter. Ctrl-C stops a reply and keeps what was "
        "written; Ctrl-D or /exit leaves. A message of several lines goes between lines of "
        'three double quotes ("""). With standard input from a pipe or file, each line is '
        "one message.",
    )
    chat.add_argument("--chat", type=int, metavar="ID", help="continue this chat (default: new)")
    chat.set_defaults(template=None, language=None)
    _add_turn_options(chat)

    bench = sub.add_parser("bench", help="measure this machine's speed with a model")
    bench.add_argument("--model", dest="bench_model", metavar="PATH", help="model file or name")
    bench.add_argument("--threads", type=int, metavar="N")
    bench.add_argument("--prompt-tokens", type=int, default=512, metavar="N")
    bench.add_argument("--reply-tokens", type=int, default=128, metavar="N")
    bench.add_argument(
        "--input",
        dest="bench_input",
        metavar="FILE",
        help="a text file to run the task on (default task: summarize)",
    )
    bench.add_argument(
        "--template",
        dest="bench_template",
        choices=("translate", "summarize"),
        help="measure a task: summarize, or translate into Korean (greedy; the reply may "
        "end before --reply-tokens)",
    )
    bench.add_argument(
        "--speculative",
        choices=("on", "off"),
        default="on",
        help="draft ahead from the prompt (default: on)",
    )
    bench.add_argument("--json", action="store_true", dest="sub_json")

    serve = sub.add_parser(
        "serve",
        help="answer OpenAI-compatible API requests with a model (see docs/serve.md)",
        description="Serve a model over an OpenAI-compatible HTTP API: /v1/chat/completions, "
        "/v1/completions, /v1/models, and /v1/embeddings with --embedding-model. Listens on "
        "127.0.0.1 unless told otherwise; any other address needs an API key.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (8080; 0: any free port)")
    serve.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="environment variable holding the API key clients must send (required "
        "with a --host other than this computer)",
    )
    serve.add_argument(
        "--model",
        dest="serve_model",
        metavar="NAME_OR_PATH",
        help="model file or library name (default: settings, else the starter model)",
    )
    serve.add_argument(
        "--embedding-model",
        dest="embedding_model",
        metavar="NAME_OR_PATH",
        help="also answer /v1/embeddings with this embedding model (a library name or a "
        "GGUF path), loaded into an engine of its own (default: none, and /v1/embeddings "
        "answers 404)",
    )

    chats = sub.add_parser("chats", help="list, show, search, export or tidy stored chats")
    chats_sub = chats.add_subparsers(dest="chats_command", metavar="ACTION", required=True)
    cl = chats_sub.add_parser("list", help="list chats, pinned first, then newest first")
    cl.add_argument("--json", action="store_true", dest="sub_json")
    cl.add_argument("--search", metavar="TEXT")
    cs = chats_sub.add_parser("show", help="show one chat (the branch shown) with its messages")
    cs.add_argument("id", type=int)
    cs.add_argument("--json", action="store_true", dest="sub_json")
    cf = chats_sub.add_parser("search", help="find messages in every chat, newest first")
    cf.add_argument("query", metavar="QUERY")
    cf.add_argument("--limit", type=int, default=50, metavar="N")
    cf.add_argument("--json", action="store_true", dest="sub_json")
    ce = chats_sub.add_parser("export", help="write one chat as Markdown or JSON")
    ce.add_argument("id", type=int)
    ce.add_argument("--format", choices=("markdown", "json"), default="markdown")
    ce.add_argument(
        "--all-branches",
        action="store_true",
        help="every version of edited or regenerated messages",
    )
    ce.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    cr = chats_sub.add_parser("rename", help="give a chat a new title")
    cr.add_argument("id", type=int)
    cr.add_argument("title")
    for action, text in (
        ("pin", "list a chat before the others"),
        ("unpin", "list a chat by date again"),
        ("delete", "delete a chat and its messages"),
    ):
        chats_sub.add_parser(action, help=text).add_argument("id", type=int)

    _add_server_commands(sub)
    add_docs_commands(sub)

    models = sub.add_parser("models", help="list, import, remove, search or download models")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ml = models_sub.add_parser("list", help="models in the library")
    ml.add_argument("--json", action="store_true", dest="sub_json")
    mi = models_sub.add_parser("import", help="copy a GGUF file (or split set) into the library")
    mi.add_argument("path")
    mi.add_argument("--reference", action="store_true", help="use the file where it is, no copy")
    mr = models_sub.add_parser("remove", help="remove a model from the library")
    mr.add_argument("name")
    mc = models_sub.add_parser(
        "recommended",
        help="the recommended models (no network): licence, languages, fit for this machine",
        description="The curated catalog of recommended GGUF models, with the admin's own "
        "entries from catalog.json in the config folder (see docs/model-catalog.md). "
        "Download one with `parrotchat models download REPO_ID --file PATH`.",
    )
    mc.add_argument("--json", action="store_true", dest="sub_json")
    _add_hub_commands(models_sub)
    _accept_global_options(p, sub)
    return p


# Options that mean the same to every command, so that people may type them where
# habit puts them: `parrotchat ask --offline …` as well as `parrotchat --offline ask …`.
GLOBAL_OPTIONS = ("--data-dir", "--model", "--json", "--endpoint", "--offline")


def _accept_global_options(
    top: argparse.ArgumentParser, sub: argparse._SubParsersAction[argparse.ArgumentParser]
) -> None:
    """Add the global options to every command and action that has none of its own
    by that name (`ask --model` and `models search --endpoint` keep theirs).

    Their default is SUPPRESS: a command that does not repeat an option leaves the
    value given before it (or the top-level default) alone.
    """
    actions = {option: top._option_string_actions[option] for option in GLOBAL_OPTIONS}
    pending = list(sub.choices.values())
    while pending:
        parser = pending.pop()
        group = parser.add_argument_group("global options (also before the command)")
        for option in GLOBAL_OPTIONS:
            if option in parser._option_string_actions:
                continue
            action = actions[option]
            kwargs: dict[str, object] = {"dest": action.dest, "default": argparse.SUPPRESS}
            kwargs["help"] = action.help
            if action.nargs == 0:
                kwargs["action"] = "store_true"
            else:
                kwargs["metavar"] = action.metavar
            group.add_argument(option, **kwargs)  # type: ignore[arg-type]
        for nested in parser._actions:
            if isinstance(nested, argparse._SubParsersAction):
                pending.extend(nested.choices.values())


def _add_turn_options(parser: argparse.ArgumentParser) -> None:
    """What `ask` and `chat` share: the model to talk to and the chat's settings."""
    parser.add_argument(
        "--model",
        dest="ask_model",
        metavar="PATH",
        help="model file or name (with --server: its id)",
    )
    parser.add_argument(
        "--server", metavar="NAME_OR_URL", help="ask a saved server, or an OpenAI-compatible URL"
    )
    parser.add_argument(
        "--api-key-env", metavar="VAR", help="with --server: the environment variable with its key"
    )
    parser.add_argument("--temperature", type=float, metavar="T")
    parser.add_argument("--max-tokens", type=int, metavar="N")
    parser.add_argument("--context", type=int, metavar="N", help="context length in tokens")
    parser.add_argument("--seed", type=int, metavar="N")
    parser.add_argument("--system", metavar="TEXT", help="system prompt for this chat")
    parser.add_argument("--chat-format", metavar="NAME", help="for models without a chat template")
    parser.add_argument("--overflow", choices=["drop_oldest", "stop"], help="when the chat is full")


def _add_hub_commands(models_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`models search|files|download`: see parrotchat/cli/hub_commands.py."""

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--json", action="store_true", dest="sub_json")
        sub.add_argument("--endpoint", dest="sub_endpoint", metavar="URL", help="model hub")

    ms = models_sub.add_parser("search", help="search the model hub for GGUF repositories")
    ms.add_argument("text", help="words in the repository name ('' lists the top ones)")
    ms.add_argument(
        "--sort", choices=["downloads", "likes", "recent", "trending"], default="downloads"
    )
    ms.add_argument("--limit", type=int, default=20, metavar="N")
    common(ms)
    mf = models_sub.add_parser("files", help="a repository's GGUF files, sizes and fit")
    mf.add_argument("repo_id", metavar="REPO_ID", help="owner/name")
    mf.add_argument("--revision", metavar="REV", help="branch, tag or commit (default: main)")
    common(mf)
    md = models_sub.add_parser("download", help="download a GGUF model into the library")
    md.add_argument("repo_id", metavar="REPO_ID", help="owner/name")
    which = md.add_mutually_exclusive_group()
    which.add_argument("--file", metavar="NAME", help="file name (default: the recommended one)")
    which.add_argument("--quant", metavar="Q", help="quantization, e.g. Q4_K_M")
    md.add_argument("--revision", metavar="REV", help="branch, tag or commit (default: main)")
    common(md)


def _add_server_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`servers add|list|test|remove`: see parrotchat/cli/server_commands.py."""
    servers = sub.add_parser("servers", help="OpenAI-compatible servers to chat through")
    servers_sub = servers.add_subparsers(dest="servers_command", metavar="ACTION", required=True)
    sa = servers_sub.add_parser("add", help="save a server (replaces one of the same name)")
    sa.add_argument("name", help="a short name, e.g. gpu-box")
    sa.add_argument("url", help="its address, e.g. http://gpu-box:8080 (a /v1 ending is fine)")
    sa.add_argument(
        "--api-key-env", metavar="VAR", help="read the API key from this environment variable"
    )
    sa.add_argument("--ca-bundle", metavar="FILE", help="PEM file of your organisation's CA")
    sa.add_argument("--proxy", metavar="URL", help="proxy URL, or 'none' to connect directly")
    sa.add_argument("--connect-timeout", type=float, metavar="S", help="seconds (default 10)")
    sa.add_argument("--read-timeout", type=float, metavar="S", help="seconds (default 300)")
    sa.add_argument(
        "--context", type=int, metavar="N", help="context length, for servers that do not say"
    )
    sl = servers_sub.add_parser("list", help="saved servers and where their keys are kept")
    sl.add_argument("--json", action="store_true", dest="sub_json")
    st = servers_sub.add_parser("test", help="connect: latency, server kind, models")
    st.add_argument("server", metavar="NAME_OR_URL")
    st.add_argument("--api-key-env", metavar="VAR", help="the environment variable with its key")
    st.add_argument("--json", action="store_true", dest="sub_json")
    sr = servers_sub.add_parser("remove", help="forget a server and its key")
    sr.add_argument("name")
