"""Code that drives llama-cpp-python directly makes the engine's CPU buffer choice too.

The engine turns llama.cpp's extra CPU buffer types off where AMX kernels may crash
(parrotchat/engine/local/cpu_features.py); tests and benchmarks that load a model with
llama-cpp-python themselves (its own server, the "llama.cpp direct" baselines) call
`apply()` first, so that they neither crash there nor compare against a different setup.
"""

from __future__ import annotations

from typing import Any

from parrotchat.engine.local.cpu_features import use_extra_buffers

# Run by `python -c` before llama-cpp-python's own server (tests/llama_cpp_server.py).
SERVER_LAUNCHER = (
    "import sys, runpy; sys.path.insert(0, {tests!r}); import llama_cpu; llama_cpu.apply(); "
    "runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)"
)


def apply() -> None:
    """Patch llama-cpp-python's default model params once, if extra buffers are off."""
    import llama_cpp.llama_cpp as bindings

    if use_extra_buffers() or getattr(bindings, "_parrotchat_no_extra_buffers", False):
        return
    original = bindings.llama_model_default_params

    def params() -> Any:
        value = original()
        value.use_extra_bufts = False
        return value

    bindings.llama_model_default_params = params
    bindings._parrotchat_no_extra_buffers = True  # type: ignore[attr-defined]
