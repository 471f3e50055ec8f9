"""The recommended-models catalog: shipped data that is complete and honest, the admin's
own entries merged, and a bad own file reported without hiding the built-ins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from parrotchat.core.models.catalog import (
    USER_CATALOG,
    CatalogError,
    as_dicts,
    load_catalog,
    read_user_catalog,
)
from parrotchat.core.models.remote_fit import MachineMemory

GIB = 1024**3


def own_entry(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "our-model",
        "name": "Our Model 1B",
        "repo": "acme/our-model-GGUF",
        "architecture": "llama",
        "parameters_b": 1.0,
        "context_length": 8192,
        "languages": ["ko"],
        "good_at": {"en": "Our internal wiki", "ko": "사내 위키"},
        "license": {
            "name": "Internal",
            "url": "https://intra.example/licence",
            "commercial": "yes",
            "summary": "Ours",
        },
        "files": [{"quant": "Q4_K_M", "file": "our-model-Q4_K_M.gguf", "size_gb": 0.7}],
    }
    entry.update(changes)
    return entry


def write_own(config: Path, *entries: dict[str, Any]) -> Path:
    config.mkdir(parents=True, exist_ok=True)
    path = config / USER_CATALOG
    path.write_text(json.dumps({"models": list(entries)}), encoding="utf-8")
    return path


def test_the_shipped_catalog_is_korean_first_and_complete() -> None:
    catalog = load_catalog(None)
    assert 12 <= len(catalog.entries) <= 20
    assert catalog.problems == ()
    families = {e.family for e in catalog.entries}
    assert {"EXAONE", "Kanana", "HyperCLOVA X SEED", "Qwen", "Gemma", "Llama"} <= families
    assert catalog.entries[0].korean  # Korean-capable families come first
    assert any(e.kind == "embedding" for e in catalog.entries)
    for e in catalog.entries:
        assert e.files and e.license.url.startswith("https://")
        assert e.text(e.good_at, "ko") and e.text(e.license.summary, "ko")
        assert all(len(code) in (2, 3) and code.islower() for code in e.languages)
        # Never claim more than was checked: a size not read from the hub says so.
        if "sizes" not in e.checked:
            assert all(f.approximate for f in e.files), e.id


def test_commercial_use_follows_the_licence_not_the_family() -> None:
    catalog = load_catalog(None)
    # Qwen2.5 3B is under the Qwen Research licence, unlike its 1.5B and 7B siblings.
    assert not catalog.find("qwen2.5-3b-instruct").commercial_use
    assert catalog.find("qwen2.5-1.5b-instruct").commercial_use
    assert not catalog.find("exaone-3.5-2.4b-instruct").commercial_use


def test_fit_badges_follow_the_free_memory() -> None:
    entries = load_catalog(None).entries
    plenty = as_dicts(entries, MachineMemory(64 * GIB))
    assert all(r["fit"] == "fits" for r in plenty)
    little = as_dicts(entries, MachineMemory(1 * GIB))
    by_id = {r["id"]: r for r in little}
    assert by_id["exaone-3.5-7.8b-instruct"]["fit"] == "too_large"
    assert by_id["bge-m3"]["fit"] == "fits"
    assert "only" in by_id["exaone-3.5-7.8b-instruct"]["fit_reason"]


def test_an_own_entry_is_added_and_one_with_a_builtin_id_replaces_it(tmp_path: Path) -> None:
    write_own(
        tmp_path,
        own_entry(),
        own_entry(id="bge-m3", name="BGE-M3 from our mirror", repo="mirror/bge-m3"),
    )
    catalog = load_catalog(tmp_path)
    assert catalog.problems == ()
    ours = catalog.find("our-model")
    assert ours.source == str(tmp_path / USER_CATALOG) and ours.korean
    assert catalog.find("bge-m3").repo == "mirror/bge-m3"
    assert len(catalog.entries) == len(load_catalog(None).entries) + 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"languages": ["Korean"]}, "'languages' must be a non-empty list of ISO 639 codes"),
        ({"files": []}, "'files' must be a non-empty list"),
        ({"repo": "not a repo"}, "'repo'"),
        ({"license": {"name": "x", "url": "https://x", "commercial": "maybe", "summary": "s"}},
         "'license.commercial' must be"),
        ({"files": [{"quant": "Q4", "file": "../evil.gguf", "size_gb": 1}]}, "not a safe path"),
        ({"parameters_b": "big"}, "'parameters_b' must be a positive number"),
    ],
)  # fmt: skip
def test_a_bad_own_entry_is_named_with_its_reason_and_the_rest_stays(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    path = write_own(tmp_path, own_entry(id="good"), own_entry(id="bad", **change))
    catalog = load_catalog(tmp_path)
    (problem,) = catalog.problems
    assert problem.startswith(f"{path}: entry 2 ('bad'): ") and reason in problem
    assert catalog.find("good") and catalog.find("exaone-3.5-2.4b-instruct")


def test_an_own_file_that_is_not_json_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / USER_CATALOG
    path.write_text('{"models": [', encoding="utf-8")
    entries, problems = read_user_catalog(path)
    assert entries == []
    assert len(problems) == 1 and problems[0].startswith(f"{path}: is not valid JSON (line 1")
    assert load_catalog(tmp_path).entries  # the built-ins are still there


def test_only_translate_and_summarize_on_a_tiny_model_are_too_much() -> None:
    from parrotchat.core.models.small_model import too_small_for

    assert too_small_for("translate", 135_000_000)
    assert too_small_for("summarize", 135_000_000)
    assert not too_small_for("translate", 2_400_000_000)
    assert not too_small_for("my-own-template", 135_000_000)
    assert not too_small_for("translate", None)  # unknown size: no warning


def test_the_download_takes_the_catalog_file_from_the_real_listing() -> None:
    from parrotchat.core.hub.files import FileChoice, GgufSummary, RemoteFile, RepoListing
    from parrotchat.core.models.catalog import choose_file

    def listing(*names: tuple[str, str]) -> RepoListing:
        choices = tuple(FileChoice((RemoteFile(n, 10**9, "a" * 64),), q) for n, q in names)
        return RepoListing("acme/m-GGUF", "c" * 40, choices, (), GgufSummary(2 * 10**9))

    plenty = MachineMemory(64 * GIB)
    exact = listing(("m-Q8_0.gguf", "Q8_0"), ("m-Q4_K_M.gguf", "Q4_K_M"))
    assert choose_file(exact, "m-Q4_K_M.gguf", "Q4_K_M", plenty).key == "m-Q4_K_M.gguf"
    renamed = listing(("M.Q4_K_M.gguf", "Q4_K_M"), ("M.Q8_0.gguf", "Q8_0"))
    assert choose_file(renamed, "m-Q4_K_M.gguf", "Q4_K_M", plenty).key == "M.Q4_K_M.gguf"
    other = listing(("M.Q5_K_M.gguf", "Q5_K_M"))
    assert choose_file(other, "m-Q4_K_M.gguf", "Q4_K_M", plenty).key == "M.Q5_K_M.gguf"
    with pytest.raises(CatalogError, match="none that fits"):
        choose_file(other, "m-Q4_K_M.gguf", "Q4_K_M", MachineMemory(1))
