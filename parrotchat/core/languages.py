"""Languages offered in the translate picker, and the name a prompt uses for each.

The picker shows each language in its own script; the prompt names it in the
prompt's language ("Translate ... into Korean", "... 영어로 번역해 주세요"), because
small local models follow a prompt better when it is all in one language.
"""

from __future__ import annotations

from typing import NamedTuple


class Language(NamedTuple):
    code: str
    english: str
    native: str


# Korean and English first: most of our users translate between the two.
LANGUAGES: list[Language] = [
    Language("ko", "Korean", "한국어"),
    Language("en", "English", "English"),
    Language("ja", "Japanese", "日本語"),
    Language("zh", "Chinese", "中文"),
    Language("vi", "Vietnamese", "Tiếng Việt"),
    Language("fr", "French", "Français"),
    Language("de", "German", "Deutsch"),
    Language("es", "Spanish", "Español"),
]

# How a Korean sentence names each language.
_KOREAN_NAMES = {
    "ko": "한국어",
    "en": "영어",
    "ja": "일본어",
    "zh": "중국어",
    "vi": "베트남어",
    "fr": "프랑스어",
    "de": "독일어",
    "es": "스페인어",
}


def _base(code: str) -> str:
    """ "ko-KR" and "ko_KR" are "ko"."""
    return code.strip().replace("_", "-").split("-")[0].casefold()


def find_language(value: str) -> Language | None:
    """The language for a code ("ko", "ko-KR") or a name in English, its own script or Korean."""
    key = value.strip().casefold()
    for lang in LANGUAGES:
        names = (lang.english.casefold(), lang.native.casefold(), _KOREAN_NAMES[lang.code])
        if key in names or _base(key) == lang.code:
            return lang
    return None


def language_name(value: str, prompt_lang: str = "en") -> str:
    """The name to write into a prompt in `prompt_lang`.

    "ko" becomes "Korean" in an English prompt and "한국어" in a Korean one. A
    language we do not list is the user's own words and passes through as typed.
    """
    lang = find_language(value)
    if lang is None:
        return value.strip()
    return _KOREAN_NAMES[lang.code] if _base(prompt_lang) == "ko" else lang.english


def ui_language(setting: str | None) -> str:
    """The interface language as a bare code ("ko", "en", never "ko_KR"): the user's
    setting, else the system locale, else English."""
    import locale
    import os

    if setting:
        return _base(setting)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value and value not in ("C", "POSIX"):
            return _base(value.split(".")[0])
    system = locale.getlocale()[0]
    return _base(system) if system else "en"


# Hangul syllables, Jamo and compatibility Jamo (ㅋㅋ).
_HANGUL = (("\uac00", "\ud7a3"), ("\u1100", "\u11ff"), ("\u3130", "\u318f"))


def text_language(text: str) -> str:
    """ "ko" when a third or more of the text's letters are Hangul, else "en".

    Enough to pick the language of an instruction we add to a user's question: a
    Korean question with an English term in it is still Korean, an English one
    quoting a Korean word is still English.
    """
    hangul = letters = 0
    for char in text[:2000]:
        if char.isalpha():
            letters += 1
            if any(low <= char <= high for low, high in _HANGUL):
                hangul += 1
    return "ko" if letters and hangul * 3 >= letters else "en"
