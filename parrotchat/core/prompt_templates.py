"""Prompt templates: ready-made tasks (translate, summarize) in English and Korean.

Built-ins ship as JSON in parrotchat.resources/templates; a user's own templates are
JSON files in their config folder and override a built-in of the same name. Only
the template is parsed for `{placeholders}`; the user's text is inserted as is,
so braces in pasted code or JSON pass through unharmed.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parrotchat.core.atomic_file import os_error_reason, write_atomic
from parrotchat.core.errors import ParrotError, StorageError, TemplateError
from parrotchat.core.languages import LANGUAGES, Language, language_name
from parrotchat.core.sampling import SamplingParams

__all__ = ["LANGUAGES", "Language", "PromptTemplate", "RenderedPrompt", "TemplateLibrary"]

_NAME = re.compile(r"[\w-]{1,64}")  # \w takes Hangul: a user may name a template 회의록
# Names Windows will not accept as a file name, whatever the extension.
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10)}


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.lower() in _RESERVED:
        raise TemplateError(
            f"template name {name!r} must be a short word (letters, digits, - and _)"
        )
    return name


def _localized(value: Any, what: str) -> dict[str, str]:
    if isinstance(value, str):  # a one-language user template may use plain text
        return {"en": value}
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    raise TemplateError(f"'{what}' must be text or a map from language to text")


def _placeholders(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and v.isidentifier() for v in value
    ):
        raise TemplateError("'placeholders' must be a list of names such as [\"text\"]")
    return tuple(value)


def _pick(texts: Mapping[str, str], lang: str) -> str:
    """The text for `lang` ("ko-KR" takes "ko"), else English, else any."""
    for key in (lang, lang.split("-")[0].split("_")[0], "en"):
        if key in texts:
            return texts[key]
    return next(iter(texts.values()), "")


@dataclass(frozen=True)
class RenderedPrompt:
    system: str  # empty: the template adds no system prompt
    user: str
    sampling: dict[str, Any]


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    title: dict[str, str] = field(hash=False)
    description: dict[str, str] = field(hash=False)
    system: dict[str, str] = field(hash=False)
    prompt: dict[str, str] = field(hash=False)
    sampling: dict[str, Any] = field(hash=False, default_factory=dict)
    placeholders: tuple[str, ...] = ("text",)
    defaults: dict[str, str] = field(hash=False, default_factory=dict)
    builtin: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any], builtin: bool = False) -> PromptTemplate:
        name = _check_name(data.get("name"))
        try:
            template = cls(
                name=name,
                title=_localized(data.get("title", name), "title"),
                description=_localized(data.get("description", ""), "description"),
                system=_localized(data.get("system", ""), "system"),
                prompt=_localized(data["prompt"], "prompt"),
                sampling=dict(data.get("sampling", {})),
                placeholders=_placeholders(data.get("placeholders", ["text"])),
                defaults={str(k): str(v) for k, v in data.get("defaults", {}).items()},
                builtin=builtin,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(f"template '{name}': missing or malformed field {exc}") from exc
        return template.validate()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "system": self.system,
            "prompt": self.prompt,
            "sampling": self.sampling,
            "placeholders": list(self.placeholders),
            "defaults": self.defaults,
        }

    def validate(self) -> PromptTemplate:
        """Check every language's text and the sampling overrides; raise TemplateError."""
        for texts in (self.system, self.prompt):
            for text in texts.values():
                self._parse(text)
        unknown = set(self.sampling) - set(SamplingParams().to_dict())
        if unknown:
            raise TemplateError(
                f"template '{self.name}': unknown sampling setting {', '.join(sorted(unknown))}"
            )
        try:
            SamplingParams().with_overrides(self.sampling)
        except (ParrotError, TypeError) as exc:
            raise TemplateError(f"template '{self.name}': {exc}") from exc
        return self

    def _parse(self, text: str) -> list[tuple[str, str | None]]:
        """(literal, placeholder name or None) pieces; {{ and }} are literal braces."""
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:  # a lone { or }
            raise TemplateError(f"template '{self.name}': {exc} (write {{{{ or }}}})") from exc
        pieces: list[tuple[str, str | None]] = []
        for literal, name, spec, conversion in parsed:
            if name is not None and (spec or conversion or not name.isidentifier()):
                raise TemplateError(f"template '{self.name}': unsupported placeholder {{{name}}}")
            if name is not None and name not in self.placeholders:
                raise TemplateError(
                    f"template '{self.name}': unknown placeholder {{{name}}} "
                    f"(known: {', '.join(self.placeholders)})"
                )
            pieces.append((literal, name))
        return pieces

    def render(self, values: Mapping[str, str], lang: str = "en") -> RenderedPrompt:
        """Fill the placeholders; the `language` value may be a code or a name."""
        merged = {**self.defaults, **values}
        if "language" in merged:
            merged["language"] = language_name(merged["language"], lang)

        def fill(text: str) -> str:
            out: list[str] = []
            for literal, name in self._parse(text):
                out.append(literal)
                if name is not None:
                    if name not in merged:
                        raise TemplateError(f"template '{self.name}': no value for {{{name}}}")
                    out.append(merged[name])
            return "".join(out)

        return RenderedPrompt(
            system=fill(_pick(self.system, lang)),
            user=fill(_pick(self.prompt, lang)),
            sampling=dict(self.sampling),
        )

    def title_for(self, lang: str) -> str:
        return _pick(self.title, lang)

    def description_for(self, lang: str) -> str:
        return _pick(self.description, lang)


class TemplateLibrary:
    """Built-in templates, then the user's; `problems` lists user files that failed."""

    def __init__(self, user_dir: Path) -> None:
        self.user_dir = user_dir
        self.problems: list[str] = []
        self._broken: dict[str, str] = {}  # file stem -> why it failed to load
        self._templates: dict[str, PromptTemplate] = {}
        self.reload()

    def reload(self) -> None:
        self.problems = []
        self._broken = {}
        self._templates = {}
        builtins = importlib.resources.files("parrotchat.resources") / "templates"
        for entry in sorted(builtins.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                self._load(entry.name, entry.read_text(encoding="utf-8"), builtin=True)
        if self.user_dir.is_dir():
            for path in sorted(self.user_dir.glob("*.json")):
                try:
                    text = path.read_text(encoding="utf-8-sig")  # Notepad adds a BOM
                except UnicodeDecodeError:
                    self.problems.append(f"{path}: not saved as UTF-8")
                    continue
                except OSError as exc:
                    self.problems.append(f"{path}: cannot be read ({exc.strerror})")
                    continue
                self._load(str(path), text, builtin=False)

    def _load(self, source: str, text: str, builtin: bool) -> None:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise TemplateError("not a JSON object")
            data.setdefault("name", Path(source).stem)
            template = PromptTemplate.from_dict(data, builtin=builtin)
        except json.JSONDecodeError as exc:
            self._problem(source, f"not valid JSON (line {exc.lineno})")
            return
        except TemplateError as exc:
            self._problem(source, str(exc))
            return
        self._templates[template.name] = template  # a user's file replaces a built-in

    def _problem(self, source: str, reason: str) -> None:
        self.problems.append(f"{source}: {reason}")
        self._broken[Path(source).stem] = f"{source}: {reason}"

    def all(self) -> list[PromptTemplate]:
        return list(self._templates.values())

    def names(self) -> list[str]:
        return list(self._templates)

    def get(self, name: str) -> PromptTemplate:
        try:
            return self._templates[name]
        except KeyError:
            if name in self._broken:
                # The user asked for a template that exists but is broken: say why.
                reason = self._broken[name]
                raise TemplateError(f"template '{name}' cannot be used: {reason}") from None
            raise TemplateError(
                f"no template named '{name}' (available: {', '.join(self._templates) or 'none'})"
            ) from None

    def save_user_template(self, template: PromptTemplate) -> Path:
        _check_name(template.name)
        template.validate()
        path = self.user_dir / f"{template.name}.json"
        try:
            self.user_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"Cannot save {path}: {os_error_reason(exc)}") from exc
        text = json.dumps(template.to_dict(), ensure_ascii=False, indent=2) + "\n"
        write_atomic(path, text)
        self._templates[template.name] = PromptTemplate.from_dict(template.to_dict())
        return path
