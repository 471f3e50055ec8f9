"""Whether llama.cpp may use its extra CPU weight layouts (AMX tiles, repacked blocks).

A llama.cpp built with `-march=native` on a CPU with Intel AMX compiles AMX matrix
kernels in, and its CPU backend then moves suitable weights into an AMX buffer. On some
machines that advertise AMX (seen: a Firecracker VM, Sapphire Rapids host, Linux 6.18)
the kernels die with SIGILL on `tilezero` in an OpenMP worker, although the kernel grants
AMX state to the process (arch_prctl succeeds and a test of the same instructions on
one thread passes), so no cheap probe tells the two apart. A crash on the first reply
costs the user far more than AMX gains, so on a CPU that advertises AMX the engine turns
the extra buffer types off (llama_model_params.use_extra_bufts, llama-server's
`--no-repack`). PARROTCHAT_CPU_EXTRA_BUFFERS=on (or off) overrides the choice.
"""

from __future__ import annotations

import os
import sys

OVERRIDE_ENV = "PARROTCHAT_CPU_EXTRA_BUFFERS"


def amx_advertised(cpuinfo: str | None = None) -> bool:
    """True when the CPU flags (Linux /proc/cpuinfo) include an AMX unit."""
    if cpuinfo is None:
        if not sys.platform.startswith("linux"):
            return False
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
                cpuinfo = file.read(1 << 20)
        except OSError:
            return False
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return any(flag.startswith("amx_") for flag in line.split(":", 1)[-1].split())
    return False


def use_extra_buffers(environ: dict[str, str] | None = None, cpuinfo: str | None = None) -> bool:
    """Whether to let llama.cpp repack weights into its extra CPU buffer types."""
    env = os.environ if environ is None else environ
    choice = env.get(OVERRIDE_ENV, "").strip().lower()
    if choice in ("1", "on", "yes", "true"):
        return True
    if choice in ("0", "off", "no", "false"):
        return False
    return not amx_advertised(cpuinfo)
