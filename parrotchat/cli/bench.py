"""`parrotchat bench`: measure this machine with a model, through a fresh engine process.

The measurement itself is the chat service's (service/bench.py), shared with the
window's "Run benchmark"; this prints it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from parrotchat.cli.context import CliContext
from parrotchat.cli.engine_session import engine_with_model
from parrotchat.core.errors import ParrotError
from parrotchat.core.prompt_templates import TemplateLibrary
from parrotchat.service.bench import bench_context, measure

# The synthetic text a task template is given when no --input file is.
_SAMPLE = (
    "A parrot listens to every word and learns which one usually comes next. "
    "It repeats what it hears, and sometimes it surprises its owner with a new sentence. "
)


def task_messages(
    ctx: CliContext, template_name: str, input_path: str | None, prompt_tokens: int
) -> list[dict[str, str]]:
    """The translate (into Korean) or summarize request for the input file's text."""
    if input_path is not None:
        try:
            text = Path(input_path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
            raise ParrotError(f"Input file {input_path}: cannot be read ({reason})") from exc
        if not text.strip():
            raise ParrotError(f"Input file {input_path}: it is empty")
    else:
        # About 4 characters a token in English.
        text = _SAMPLE * max(1, prompt_tokens * 4 // len(_SAMPLE))
    template = TemplateLibrary(ctx.paths.user_templates_dir).get(template_name)
    rendered = template.render({"text": text, "language": "ko"}, lang="en")
    messages = [{"role": "system", "content": rendered.system}] if rendered.system else []
    return [*messages, {"role": "user", "content": rendered.user}]


def run_bench(
    ctx: CliContext,
    model_arg: str | None,
    threads: int | None,
    prompt_tokens: int,
    reply_tokens: int,
    as_json: bool,
    input_path: str | None = None,
    template: str | None = None,
    speculative: bool = True,
) -> int:
    model = ctx.model(model_arg)
    if threads:
        ctx.settings = replace(ctx.settings, threads=threads)
    if input_path is not None and template is None:
        template = "summarize"
    messages = None
    if template is not None:
        messages = task_messages(ctx, template, input_path, prompt_tokens)
        # The input's own length sets the context: about 4 characters a token, at least.
        prompt_tokens = max(prompt_tokens, sum(len(m["content"]) for m in messages) // 3)
    with engine_with_model(ctx, model, n_ctx=bench_context(prompt_tokens, reply_tokens)) as s:
        result = measure(s, prompt_tokens, reply_tokens, messages, draft_ahead=speculative)
    n = result["reply_tokens"]
    if as_json:
        print(json.dumps(result))
    else:
        print(
            f"{result['model']} ({result['quantization']}) on {result['backend']}, "
            f"{result['threads']} threads"
        )
        print(f"  load            {result['load_s']:>8} s")
        print(
            f"  prompt          {result['prompt_tokens_per_s']:>8} tokens/s "
            f"({result['prompt_tokens']} tokens)"
        )
        print(f"  first token     {result['ttft_s']:>8} s")
        print(f"  reply           {result['decode_tokens_per_s']:>8} tokens/s ({n} tokens)")
        if not speculative:
            print("  drafted              off (--speculative off)")
        elif result["exact_drafts"]:
            print(
                f"  drafted         {result['draft_tokens']:>8} tokens "
                f"({result['accepted_tokens']} accepted)"
            )
        else:
            print("  drafted             none (this llama.cpp build rounds a batch differently)")
        print(f"  peak memory     {result['peak_rss_mb']:>8} MB (engine process)")
    return 0
