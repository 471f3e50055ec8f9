"""Prompt templates: the built-ins in both languages, user files, and placeholder safety."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parrotchat.core.errors import TemplateError
from parrotchat.core.languages import find_language, language_name
from parrotchat.core.prompt_templates import (
    LANGUAGES,
    PromptTemplate,
    RenderedPrompt,
    TemplateLibrary,
)


def template(**overrides: Any) -> PromptTemplate:
    data: dict[str, Any] = {
        "name": "x",
        "prompt": {"en": "Do {text} in {language}", "ko": "{language}로 {text}"},
        "placeholders": ["text", "language"],
    }
    data.update(overrides)
    return PromptTemplate.from_dict(data)


def write_user(folder: Path, name: str, data: Any) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def library(tmp_path: Path) -> TemplateLibrary:
    return TemplateLibrary(tmp_path / "templates")


def test_built_ins_load_cleanly(library: TemplateLibrary) -> None:
    assert library.problems == []
    assert {"translate", "summarize"} <= set(library.names())
    assert all(t.builtin for t in library.all())
    assert library.get("translate").title_for("ko") == "번역"
    assert library.get("summarize").title_for("ko-KR") == "요약"
    assert library.get("summarize").description_for("fr") == library.get(
        "summarize"
    ).description_for("en")


def test_translate_renders_in_english_and_korean(library: TemplateLibrary) -> None:
    translate = library.get("translate")
    en = translate.render({"text": "회의는 3시입니다."})
    assert en.user.startswith("Translate the following text into Korean.")
    assert en.user.endswith("\n\n회의는 3시입니다.")
    assert en.system and en.sampling == {"temperature": 0.2}
    ko = translate.render({"text": "The meeting is at 3.", "language": "en"}, lang="ko")
    assert ko.user.startswith("다음 글을 영어로 번역해 주세요.")
    assert ko.user.endswith("\n\nThe meeting is at 3.")
    assert "번역" in ko.system
    ja = translate.render({"text": "hi", "language": "日本語"}, lang="ko")
    assert "일본어로" in ja.user


def test_summarize_renders_in_english_and_korean(library: TemplateLibrary) -> None:
    summarize = library.get("summarize")
    en = summarize.render({"text": "Long text."})
    assert "Summarize" in en.user and en.user.endswith("Long text.")
    assert en.sampling == {"temperature": 0.3}
    ko = summarize.render({"text": "긴 글"}, lang="ko")
    assert "요약해 주세요" in ko.user and ko.user.endswith("긴 글")
    assert "{" not in ko.user + ko.system + en.user + en.system


def test_braces_in_the_users_text_pass_through(library: TemplateLibrary) -> None:
    code = 'def f(): return {"a": {txet}} and "{0}" and "{}" and "}{"'
    rendered = library.get("translate").render({"text": code, "language": "{language}"})
    assert rendered.user.endswith(code)
    assert "into {language}." in rendered.user  # an unknown language is the user's words


@given(st.text())
def test_any_text_is_inserted_verbatim(text: str) -> None:
    rendered = template(prompt="<<{text}>>", placeholders=["text"]).render({"text": text})
    assert rendered.user == f"<<{text}>>"


def test_unknown_placeholder_names_the_known_ones() -> None:
    with pytest.raises(TemplateError) as err:
        template(prompt={"en": "Translate {txet} into {language}"})
    assert str(err.value) == "template 'x': unknown placeholder {txet} (known: text, language)"


def test_unknown_placeholder_is_also_caught_at_render() -> None:
    t = PromptTemplate(
        name="direct",
        title={"en": "Direct"},
        description={},
        system={},
        prompt={"en": "{txet}"},
    )
    with pytest.raises(TemplateError, match=r"unknown placeholder \{txet\} \(known: text\)"):
        t.render({"text": "hi"})


def test_missing_value_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"template 'x': no value for \{language\}"):
        template().render({"text": "hi"})


def test_brace_mistakes_in_a_template_are_errors() -> None:
    for bad in ("a { b", "a } b", "{text!r}", "{text:>10}", "{0}", "{}", "{text.upper}"):
        with pytest.raises(TemplateError, match="template 'x'"):
            template(prompt=bad)
    doubled = template(prompt="{{literal}} {text}", placeholders=["text"])
    assert doubled.render({"text": "t"}).user == "{literal} t"


def test_bad_sampling_is_an_error() -> None:
    with pytest.raises(TemplateError, match="temperature 5"):
        template(sampling={"temperature": 5})
    with pytest.raises(TemplateError, match="unknown sampling setting temprature"):
        template(sampling={"temprature": 0.5})


def test_user_templates_override_and_extend(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    write_user(folder, "translate", {"name": "translate", "prompt": "Into pirate: {text}"})
    minutes = "다음 회의 내용을 회의록으로 정리해 주세요.\n\n{text}"
    write_user(folder, "회의록", {"name": "회의록", "prompt": {"ko": minutes}})
    library = TemplateLibrary(folder)
    assert library.problems == []
    names = library.names()
    assert names.index("회의록") == len(names) - 1  # built-ins first
    translate = library.get("translate")
    assert not translate.builtin
    assert translate.render({"text": "hello"}, lang="ko").user == "Into pirate: hello"
    assert library.get("회의록").render({"text": "안건 1"}, lang="ko").user.endswith("안건 1")


def test_broken_user_files_are_listed_and_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "cp949.json").write_bytes('{"prompt": "번역: {text}"}'.encode("cp949"))
    (folder / "bom.json").write_bytes(b"\xef\xbb\xbf" + b'{"prompt": "ok {text}"}')
    write_user(folder, "typo", {"name": "typo", "prompt": "{txet}"})
    write_user(folder, "hot", {"name": "hot", "prompt": "{text}", "sampling": {"temperature": 5}})
    library = TemplateLibrary(folder)
    assert library.get("bom").render({"text": "t"}).user == "ok t"  # name from the file
    problems = "\n".join(library.problems)
    assert len(library.problems) == 4
    assert "broken.json: not valid JSON" in problems
    assert "cp949.json: not saved as UTF-8" in problems
    assert "unknown placeholder {txet}" in problems
    assert "temperature 5" in problems
    assert {"translate", "summarize", "bom"} <= set(library.names())


def test_get_unknown_lists_the_available_ones(library: TemplateLibrary) -> None:
    with pytest.raises(TemplateError, match=r"no template named 'translat' .*summarize.*translate"):
        library.get("translat")


def test_save_user_template_round_trips(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "templates"
    library = TemplateLibrary(folder)
    mine = template(name="이메일", title={"ko": "이메일 다듬기"}, sampling={"temperature": 0.4})
    path = library.save_user_template(mine)
    assert path == folder / "이메일.json"
    assert "이메일 다듬기" in path.read_text(encoding="utf-8")
    assert library.get("이메일") == TemplateLibrary(folder).get("이메일") == mine


@pytest.mark.parametrize("name", ["../evil", "a/b", "", "CON", "nul", "x" * 65, "with space"])
def test_unsafe_names_are_refused(library: TemplateLibrary, name: str) -> None:
    with pytest.raises(TemplateError, match="template name"):
        template(name=name)


def test_language_list_and_names() -> None:
    assert [lang.code for lang in LANGUAGES] == ["ko", "en", "ja", "zh", "vi", "fr", "de", "es"]
    assert LANGUAGES[0] == ("ko", "Korean", "한국어")
    assert language_name("ko") == "Korean"
    assert language_name("Korean", "ko") == "한국어"
    assert language_name("한국어") == "Korean"
    assert language_name("ENGLISH", "ko-KR") == "영어"
    assert language_name("zh-TW") == "Chinese"
    assert language_name("pt_BR") == "pt_BR"
    assert language_name(" Klingon ") == "Klingon"
    assert find_language("독일어") == ("de", "German", "Deutsch")
    assert find_language("tiếng việt") == ("vi", "Vietnamese", "Tiếng Việt")


def test_rendered_prompt_is_plain_data() -> None:
    rendered = template(system={"en": "Be {language}"}).render({"text": "t", "language": "fr"})
    assert rendered == RenderedPrompt(system="Be French", user="Do t in French", sampling={})
