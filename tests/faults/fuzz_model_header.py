"""Fuzz the model header reader for minutes (issue #7 item 3; not collected by pytest).

    .venv/bin/python tests/faults/fuzz_model_header.py --minutes 3 [--seed N] [--llama 200]

A seeded mutation loop over two real files: a tiny GGUF from gguf_factory and the first
1 MB of the starter model (its header and tokenizer). Each mutant is written to a file
and given to `validate_model_file`, the check every import and every engine load runs.
A failure is anything but a `ModelFileError` whose one-line message names the file, a
call that runs longer than 2 s, or memory use past a fixed limit. Failing inputs are
saved under --out so they can be replayed; the run prints cases tried, failures and
execs/second, and exits 1 on any failure.

With --llama N, up to N mutants of the tiny model that the reader *accepts* are then
loaded by llama.cpp in a child process, which generates one token: if that kills the
process, our check let through a file that would kill the engine, which is the bug
this check exists to prevent (llama.cpp stops on GGML_ASSERT instead of failing).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # gguf_factory

import gguf_factory as gf  # noqa: E402

from parrotchat.core.errors import ModelFileError  # noqa: E402
from parrotchat.core.models.info import validate_model_file  # noqa: E402
from parrotchat.core.models.starter import starter_model_path  # noqa: E402

HANG_S = 2
MEMORY_LIMIT = 2 * 2**30  # bytes of address space above what the process uses at start
STARTER_PREFIX = 1 << 20
_INTERESTING_INTS = (
    0,
    1,
    2,
    3,
    4,
    5,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0xFFFF,
    0x10000,
    2**31 - 1,
    2**31,
    2**32 - 1,
    2**32,
    2**62,
    2**63 - 1,
    2**63,
    2**64 - 1,
)


class Hang(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang(f"ran longer than {HANG_S} s")


# --- seeds -------------------------------------------------------------------------------


def header_length(data: bytes) -> int:
    """Where the tensor data starts (or the whole prefix): mutations aim before it."""
    import gguf

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "seed.gguf"
        path.write_bytes(data)
        try:
            return int(gguf.GGUFReader(path).data_offset)
        except Exception:  # a cut-off prefix: GGUFReader cannot finish, aim anywhere
            return len(data)


def seeds(work: Path) -> list[tuple[str, bytes]]:
    found = [("tiny", gf.write_tiny_llama(work / "tiny.gguf", vocab_size=300).read_bytes())]
    starter = starter_model_path()
    if starter is not None and starter.is_file():
        with starter.open("rb") as f:
            found.append(("starter-1MB", f.read(STARTER_PREFIX)))
    return found


# --- mutations ---------------------------------------------------------------------------


def _offset(rng: random.Random, data: bytearray, focus: int) -> int:
    # Nine in ten land in the header, where every byte steers the reader.
    limit = focus if rng.random() < 0.9 else len(data)
    return rng.randrange(max(1, min(limit, len(data))))


def _flip(rng: random.Random, data: bytearray, focus: int) -> None:
    for _ in range(rng.randint(1, 8)):
        i = _offset(rng, data, focus)
        data[i] ^= 1 << rng.randrange(8)


def _byte(rng: random.Random, data: bytearray, focus: int) -> None:
    for _ in range(rng.randint(1, 4)):
        data[_offset(rng, data, focus)] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))


def _integer(rng: random.Random, data: bytearray, focus: int) -> None:
    """An interesting integer over a length, count, type or offset field."""
    width = rng.choice((4, 8))
    i = _offset(rng, data, focus)
    value = rng.choice(_INTERESTING_INTS) + rng.choice((0, 0, -1, 1))
    value %= 2 ** (8 * width)
    data[i : i + width] = value.to_bytes(width, "little")


def _cut(rng: random.Random, data: bytearray, focus: int) -> None:
    del data[_offset(rng, data, focus) :]


def _delete(rng: random.Random, data: bytearray, focus: int) -> None:
    i = _offset(rng, data, focus)
    del data[i : i + rng.randint(1, 64)]


def _insert(rng: random.Random, data: bytearray, focus: int) -> None:
    i = _offset(rng, data, focus)
    data[i:i] = rng.randbytes(rng.randint(1, 64))


def _copy(rng: random.Random, data: bytearray, focus: int) -> None:
    """A chunk of the header copied over another place of it (a key over a value...)."""
    src, dst, n = _offset(rng, data, focus), _offset(rng, data, focus), rng.randint(4, 64)
    data[dst : dst + n] = data[src : src + n]


def _counts(rng: random.Random, data: bytearray, focus: int) -> None:
    """The version, tensor count or key count: the first fields every reader trusts."""
    field = rng.choice(((4, 4), (8, 8), (16, 8)))
    value = rng.choice(_INTERESTING_INTS) % 2 ** (8 * field[1])
    data[field[0] : field[0] + field[1]] = value.to_bytes(field[1], "little")


MUTATIONS: tuple[Callable[[random.Random, bytearray, int], None], ...] = (
    _flip,
    _flip,
    _byte,
    _integer,
    _integer,
    _integer,
    _cut,
    _delete,
    _insert,
    _copy,
    _counts,
)


def mutate(rng: random.Random, seed: bytes, focus: int) -> bytes:
    data = bytearray(seed)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        rng.choice(MUTATIONS)(rng, data, focus)
    return bytes(data)


# --- running one case ---------------------------------------------------------------------


def check(path: Path) -> tuple[str, str]:
    """('rejected'|'accepted'|'FAIL', detail) for one file."""
    signal.alarm(HANG_S)
    try:
        validate_model_file(path)
    except ModelFileError as e:
        message = str(e)
        if "\n" in message or not message.startswith(f"{path}: ") or len(message) > 2000:
            return "FAIL", f"unclear message: {message[:300]!r}"
        return "rejected", " ".join(message[len(str(path)) + 2 :].split()[:3])
    except Hang as e:
        return "FAIL", f"hang: {e}"
    except MemoryError:
        return "FAIL", "memory blow-up (MemoryError under the address-space limit)"
    except Exception as e:
        return "FAIL", "".join(traceback.format_exception_only(type(e), e)).strip()
    finally:
        signal.alarm(0)
    return "accepted", ""


# --- llama.cpp on the accepted mutants (a child process that may die) ---------------------


def _llama_child(conn: Connection) -> None:
    # The parent's address-space cap is for the reader, not for llama.cpp.
    resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # llama.cpp's own complaints about the rejected files
    import llama_cpp

    while True:
        path = conn.recv()
        if path is None:
            return
        try:
            llm = llama_cpp.Llama(path, n_ctx=64, n_threads=1, verbose=False)
            # Some damage only shows when the graph runs (attention shapes): one token.
            llm.create_completion("hi", max_tokens=1)
            llm.close()
            conn.send("loaded")
        except Exception as e:
            conn.send(f"refused: {type(e).__name__}")


class LlamaProbe:
    def __init__(self) -> None:
        self.proc: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None

    def _start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.proc = ctx.Process(target=_llama_child, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.conn = parent

    def load(self, path: Path, timeout: float = 60.0) -> str:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        assert self.conn is not None and self.proc is not None
        self.conn.send(str(path))
        if self.conn.poll(timeout):
            try:
                return str(self.conn.recv())
            except EOFError:
                pass
        else:
            self.proc.kill()
        self.proc.join(5)
        code = self.proc.exitcode
        self.proc = None
        return f"CRASH (exit code {code})" if code is not None else "CRASH (hang)"

    def close(self) -> None:
        if self.proc is not None and self.conn is not None:
            self.conn.send(None)
            self.proc.join(10)


# --- the loop ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("fuzz-failures"))
    parser.add_argument(
        "--llama",
        type=int,
        default=0,
        metavar="N",
        help="load up to N accepted mutants in llama.cpp (a child process)",
    )
    args = parser.parse_args(argv)

    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with open("/proc/self/statm") as f:
        vm_bytes = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (vm_bytes + MEMORY_LIMIT, resource.RLIM_INFINITY))
    signal.signal(signal.SIGALRM, _alarm)

    rng = random.Random(args.seed)
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None  # no disk writes per case
    work = Path(tempfile.mkdtemp(prefix="parrot-fuzz-", dir=shm))
    corpus = [(name, data, header_length(data)) for name, data in seeds(work)]
    print(f"seeds: {', '.join(f'{n} ({len(d):,} bytes, header {h:,})' for n, d, h in corpus)}")
    probe = LlamaProbe() if args.llama else None
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    failures: list[tuple[Path, str]] = []
    llama: Counter[str] = Counter()
    llama_crashes: list[tuple[Path, str]] = []
    path = work / "case.gguf"
    deadline = time.monotonic() + args.minutes * 60
    began = time.monotonic()
    fuzz_s = 0.0
    n = 0
    while time.monotonic() < deadline:
        name, seed, focus = corpus[n % len(corpus)]
        data = mutate(rng, seed, focus)
        path.write_bytes(data)
        t0 = time.monotonic()
        outcome, detail = check(path)
        fuzz_s += time.monotonic() - t0
        n += 1
        outcomes[f"{name}: {outcome}"] += 1
        if outcome == "rejected":
            reasons[detail] += 1
        elif outcome == "FAIL":
            args.out.mkdir(parents=True, exist_ok=True)
            kept = args.out / f"fail-{args.seed}-{n}.gguf"
            kept.write_bytes(data)
            failures.append((kept, detail))
            print(f"FAIL #{len(failures)} ({kept}): {detail}", flush=True)
        elif probe is not None and sum(llama.values()) < args.llama and name == "tiny":
            result = probe.load(path)
            llama[result.split(" (")[0].split(":")[0]] += 1
            if result.startswith("CRASH"):
                args.out.mkdir(parents=True, exist_ok=True)
                kept = args.out / f"llama-crash-{args.seed}-{n}.gguf"
                kept.write_bytes(data)
                llama_crashes.append((kept, result))
                print(f"LLAMA.CPP {result} on a file we accept: {kept}", flush=True)
    if probe is not None:
        probe.close()
    elapsed = time.monotonic() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    path.unlink(missing_ok=True)
    for leftover in work.iterdir():
        leftover.unlink()
    work.rmdir()

    print(f"\ncases tried: {n:,} in {elapsed:.0f} s; failures: {len(failures)}")
    print(f"execs/second: {n / elapsed:,.0f} overall, {n / max(fuzz_s, 1e-9):,.0f} in the reader")
    print(f"peak memory: {peak / 2**20:.0f} MB (at start {usage / 2**20:.0f} MB)")
    for key, count in sorted(outcomes.items()):
        print(f"  {key}: {count:,}")
    print("most common rejections (first words of the reason):")
    for reason, count in reasons.most_common(8):
        print(f"  {count:>7,}  {reason}")
    if probe is not None:
        print(f"accepted mutants loaded in llama.cpp: {dict(llama)}; crashes: {len(llama_crashes)}")
    return 1 if failures or llama_crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
