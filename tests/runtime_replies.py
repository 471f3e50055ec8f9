"""One chat reply from a `LlamaRuntime` in the test's own process, greedy by default."""

from __future__ import annotations

from parrotchat.core.sampling import SamplingParams
from parrotchat.engine.local.runtime import LlamaRuntime
from parrotchat.engine.protocol import ReplyStats


def reply(
    rt: LlamaRuntime, text: str, fresh: bool = True, **sampling: object
) -> tuple[str, ReplyStats]:
    """The reply's text and stats; `fresh`: nothing cached from an earlier reply."""
    assert rt.llm is not None
    if fresh:
        rt.llm.n_tokens = 0
        rt.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
    params = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=48)
    out: list[str] = []
    stats = rt.chat(
        [{"role": "user", "content": text}],
        params.with_overrides(dict(sampling)),
        "drop_oldest",
        None,
        lambda piece, _n: out.append(piece),
    )
    return "".join(out), stats
