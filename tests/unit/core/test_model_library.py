from __future__ import annotations

import json
import shutil
from pathlib import Path

import gguf_factory as gf
import pytest

from parrotchat.core.errors import ModelFileError, ParrotError
from parrotchat.core.models.library import REFERENCES_FILE, ModelLibrary
from parrotchat.core.models.starter import STARTER_ENV, starter_model_path


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    d = tmp_path / "models"
    d.mkdir()
    return d


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "downloads"
    d.mkdir()
    return d


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_empty_library_lists_the_starter_model(models_dir: Path, starter_model: Path) -> None:
    library = ModelLibrary(models_dir, starter_model)
    models = library.scan()
    assert [(m.path, m.source) for m in models] == [(starter_model, "starter")]
    assert library.problems == []


def test_missing_folder_and_missing_starter(tmp_path: Path) -> None:
    library = ModelLibrary(tmp_path / "nowhere", tmp_path / "starter.gguf")
    assert library.scan() == []
    assert library.problems == [f"{tmp_path / 'starter.gguf'}: does not exist"]


def test_scan_lists_good_models_and_reports_broken_ones(
    models_dir: Path, starter_model: Path
) -> None:
    gf.write_tiny_llama(models_dir / "b-tiny.gguf", name="B tiny")
    (models_dir / "sub").mkdir()
    gf.write_tiny_llama(models_dir / "sub" / "a-tiny.gguf", name="A tiny", seed=1)
    gf.write_split_set(models_dir, parts=2, stem="c-split")
    gf.write_bad_magic(models_dir / "old.gguf")
    gf.write_truncated(models_dir / "b-tiny.gguf", models_dir / "cut.gguf", 0.5)
    # never models, never problems: downloads in progress and our own temporary copies
    gf.write_tiny_llama(models_dir / "next.gguf.part")
    gf.write_tiny_llama(models_dir / ".b-tiny.gguf.1234abcd.part")
    (models_dir / "notes.txt").write_text("hello")

    library = ModelLibrary(models_dir, starter_model)
    models = library.scan()
    assert [(m.name, m.source) for m in models] == [
        (models[0].name, "starter"),
        ("A tiny", "library"),
        ("B tiny", "library"),
        ("c-split", "library"),
    ]
    names = {m.path.name: m for m in models}
    assert len(names["c-split-00001-of-00002.gguf"].files) == 2
    assert len(library.problems) == 2
    assert any("old.gguf: not a GGUF file" in p for p in library.problems)
    assert any("cut.gguf: truncated" in p for p in library.problems)


def test_lone_split_part_is_a_problem(models_dir: Path) -> None:
    parts = gf.write_split_set(models_dir, parts=2)
    parts[0].unlink()
    library = ModelLibrary(models_dir, None)
    assert library.scan() == []
    assert library.problems == [f"{parts[1]}: split model without its part 1 ({parts[0].name})"]


def test_find_by_path_file_name_stem_and_model_name(models_dir: Path, starter_model: Path) -> None:
    path = gf.write_tiny_llama(models_dir / "tiny-q8.gguf", name="Tiny Chat")
    library = ModelLibrary(models_dir, starter_model)
    for query in (str(path), "tiny-q8.gguf", "TINY-Q8", "tiny chat"):
        assert library.find(query).path == path
    assert library.find(starter_model.name).source == "starter"


def test_find_suggests_close_names(models_dir: Path) -> None:
    gf.write_tiny_llama(models_dir / "tiny-q8.gguf", name="Tiny Chat")
    library = ModelLibrary(models_dir, None)
    # The one name it is shown by (the file name without its quantization).
    with pytest.raises(ModelFileError, match=r"No model 'tiny-q4'.*did you mean: tiny\?"):
        library.find("tiny-q4")
    assert library.find("tiny").path.name == "tiny-q8.gguf", "the suggestion is accepted"
    with pytest.raises(ModelFileError, match="does not exist"):
        library.find(str(models_dir / "nope.gguf"))


def test_two_quantizations_of_one_model_are_suggested_by_file_stem(models_dir: Path) -> None:
    gf.write_tiny_llama(models_dir / "tiny-q8_0.gguf")
    gf.write_tiny_llama(models_dir / "tiny-f16.gguf", f16=True)
    library = ModelLibrary(models_dir, None)
    with pytest.raises(ModelFileError, match=r"did you mean: [^?]+\?") as refused:
        library.find("tiny-q4")
    offered = str(refused.value).split("did you mean: ")[1].rstrip("?").split(", ")
    assert sorted(offered) == ["tiny-f16", "tiny-q8_0"]
    assert {library.find(name).path.stem for name in offered} == {"tiny-f16", "tiny-q8_0"}


def test_find_ambiguous_name(models_dir: Path) -> None:
    gf.write_tiny_llama(models_dir / "one.gguf", name="Same")
    gf.write_tiny_llama(models_dir / "two.gguf", name="Same", seed=2)
    with pytest.raises(ModelFileError, match="matches several models"):
        ModelLibrary(models_dir, None).find("same")


def test_import_copies_with_progress(models_dir: Path, outside: Path) -> None:
    src = gf.write_tiny_llama(outside / "tiny.gguf", vocab_size=40_000)  # ~20 MB: 3 chunks
    calls: list[tuple[int, int]] = []
    library = ModelLibrary(models_dir, None)
    info = library.import_model(src, progress=lambda done, total: calls.append((done, total)))
    assert info.source == "library" and info.path == models_dir / "tiny.gguf"
    assert info.path.read_bytes() == src.read_bytes()
    size = src.stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size) and len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert listing(models_dir) == ["tiny.gguf"]
    assert src.exists()  # a copy, not a move
    assert [m.path for m in library.scan()] == [info.path]


def test_import_split_set_copies_every_part(models_dir: Path, outside: Path) -> None:
    parts = gf.write_split_set(outside, parts=3)
    info = ModelLibrary(models_dir, None).import_model(parts[1])  # any part will do
    assert [f.name for f in info.files] == [p.name for p in parts]
    assert listing(models_dir) == sorted(p.name for p in parts)


def test_import_refuses_duplicates(models_dir: Path, outside: Path, starter_model: Path) -> None:
    src = gf.write_tiny_llama(outside / "tiny.gguf")
    library = ModelLibrary(models_dir, starter_model)
    library.import_model(src)
    with pytest.raises(ModelFileError, match=r"looks like a copy of tiny\.gguf"):
        library.import_model(src)
    with pytest.raises(ModelFileError, match="already in the library as"):
        library.import_model(models_dir / "tiny.gguf")
    with pytest.raises(ModelFileError, match="already in the library as"):
        library.import_model(starter_model)
    (outside / "x").mkdir()
    other = gf.write_tiny_llama(outside / "x" / "tiny.gguf", seed=5, name="other")
    with pytest.raises(ModelFileError, match=r"a file named tiny\.gguf is already in"):
        library.import_model(other)
    assert listing(models_dir) == ["tiny.gguf"]


@pytest.mark.parametrize(
    "make",
    [gf.write_bad_magic, gf.write_unknown_arch, gf.write_random_bytes, gf.write_absurd_counts],
)
def test_import_refuses_bad_files_and_leaves_nothing(models_dir: Path, outside: Path, make) -> None:  # type: ignore[no-untyped-def]
    bad = make(outside / "bad.gguf")
    with pytest.raises(ModelFileError, match=str(bad)):
        ModelLibrary(models_dir, None).import_model(bad)
    assert listing(models_dir) == []


def test_cancelled_copy_leaves_nothing(models_dir: Path, outside: Path) -> None:
    parts = gf.write_split_set(outside, parts=2)

    def cancel(done: int, total: int) -> None:
        if done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ModelLibrary(models_dir, None).import_model(parts[0], progress=cancel)
    assert listing(models_dir) == []


def test_import_refuses_when_the_disk_is_full(
    models_dir: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = gf.write_tiny_llama(outside / "tiny.gguf")
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=10_000_000))
    with pytest.raises(ModelFileError, match=r"needs 67\.5 MB of free space .* only 10\.0 MB"):
        ModelLibrary(models_dir, None).import_model(src)
    assert listing(models_dir) == []


def test_reference_in_place_then_forget(models_dir: Path, outside: Path) -> None:
    src = gf.write_tiny_llama(outside / "big.gguf")
    library = ModelLibrary(models_dir, None)
    info = library.import_model(src, copy=False)
    assert info.source == "external"
    assert listing(models_dir) == [REFERENCES_FILE]
    saved = json.loads((models_dir / REFERENCES_FILE).read_text())
    assert saved == {"version": 1, "models": [str(src)]}
    assert [(m.path, m.source) for m in ModelLibrary(models_dir, None).scan()] == [
        (src, "external")
    ]
    with pytest.raises(ModelFileError, match="already in the library"):
        library.import_model(src, copy=False)
    assert library.remove("big") == 0
    assert src.exists()  # the original is never deleted
    assert library.scan() == []


def test_moved_reference_is_a_problem_not_a_crash(models_dir: Path, outside: Path) -> None:
    src = gf.write_tiny_llama(outside / "usb.gguf")
    library = ModelLibrary(models_dir, None)
    library.import_model(src, copy=False)
    src.unlink()
    assert library.scan() == []
    assert library.problems == [f"{src}: does not exist"]


def test_damaged_references_file(models_dir: Path, outside: Path) -> None:
    (models_dir / REFERENCES_FILE).write_text("{not json")
    library = ModelLibrary(models_dir, None)
    assert library.scan() == []
    assert len(library.problems) == 1 and "references.json: cannot be read" in library.problems[0]
    with pytest.raises(ParrotError, match=r"references\.json"):
        library.import_model(gf.write_tiny_llama(outside / "t.gguf"), copy=False)
    assert (models_dir / REFERENCES_FILE).read_text() == "{not json"  # left for the user


def test_remove_frees_bytes(models_dir: Path, outside: Path, starter_model: Path) -> None:
    library = ModelLibrary(models_dir, starter_model)
    single = library.import_model(gf.write_tiny_llama(outside / "tiny.gguf"))
    split = library.import_model(gf.write_split_set(outside / "s", parts=2)[0])
    assert library.remove("tiny") == single.size_bytes
    assert library.remove(split.path.name) == split.size_bytes
    assert listing(models_dir) == []
    with pytest.raises(ModelFileError, match="is the starter model and cannot be removed"):
        library.remove(starter_model.name)
    assert starter_model.exists()
    with pytest.raises(ModelFileError, match="No model 'tiny'"):
        library.remove("tiny")


def test_find_a_file_outside_the_library_does_not_add_it(models_dir: Path, outside: Path) -> None:
    src = gf.write_tiny_llama(outside / "elsewhere.gguf")
    library = ModelLibrary(models_dir, None)
    assert library.find(str(src)).source == "external"
    assert library.scan() == []


def test_starter_model_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(STARTER_ENV, raising=False)
    found = starter_model_path()
    assert found is None or found.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    monkeypatch.setenv(STARTER_ENV, str(tmp_path / "frozen" / "starter.gguf"))
    assert starter_model_path() == tmp_path / "frozen" / "starter.gguf"  # even if missing
