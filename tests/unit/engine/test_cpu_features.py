"""The engine's choice of llama.cpp's extra CPU buffer types (AMX kernels crash on some VMs)."""

from __future__ import annotations

from parrotchat.engine.local.cpu_features import OVERRIDE_ENV, amx_advertised, use_extra_buffers

SAPPHIRE = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f amx_bf16 amx_tile amx_int8\n"
ZEN = "processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16\n"


def test_amx_is_read_from_the_cpu_flags() -> None:
    assert amx_advertised(SAPPHIRE)
    assert not amx_advertised(ZEN)
    assert not amx_advertised("")


def test_extra_buffers_are_off_only_where_amx_is_advertised() -> None:
    assert not use_extra_buffers({}, SAPPHIRE)
    assert use_extra_buffers({}, ZEN)


def test_the_environment_overrides_the_choice() -> None:
    assert use_extra_buffers({OVERRIDE_ENV: "on"}, SAPPHIRE)
    assert not use_extra_buffers({OVERRIDE_ENV: "off"}, ZEN)
    assert not use_extra_buffers({OVERRIDE_ENV: "bogus"}, SAPPHIRE)
