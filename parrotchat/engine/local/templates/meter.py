"""Size accounting for a chat template's render: how many characters a value would take
as text, and how long an operation's result could get, found before the operation runs.

- every value the template builds (operators `* ** + %` and `~`, list/tuple/dict
  literals, filter, test and method results) and every value it prints, compares or
  passes on is measured first (`Meter`: the characters its text would take, with
  shared references counted each time and nesting capped) and refused past a limit;
- operations whose result size a C function computes in one go (padding, replace,
  join, expandtabs, translate, format widths, JSON indents) are estimated before
  they run.

The environment in template_sandbox.py calls these; this module knows nothing of Jinja's
machinery beyond its Namespace.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from jinja2.utils import Namespace

MAX_DEPTH = 100  # nesting of lists/dicts: C code recurses once per level


class Refused(Exception):
    """A template asked for more than its allowance (raised inside the render)."""


# --- measuring values ------------------------------------------------------------------

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))


class Meter:
    """How many characters values would take as text, against one render's limit.

    Containers the template cannot change (lists, tuples, dicts: the sandbox is
    immutable) are measured once per render and remembered by identity (a reference
    is kept, so the identity stays theirs), with their nesting depth. Namespaces can
    change, so anything that holds one is measured each time.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: dict[int, tuple[object, int, int]] = {}  # id -> (obj, size, height)

    def size(self, obj: Any, indent: int = 0) -> int:
        """Characters `str(obj)` may take; raises Refused past the limit."""
        if type(obj) is str:  # the common case, in one call (each costs more when traced)
            if len(obj) >= self.limit:
                raise self._too_big()
            return len(obj) + 2
        return self._measure(obj, self.limit, 0, indent)[0]

    def check(self, n: int, what: str) -> None:
        if n > self.limit:
            raise Refused(f"it tried to {what} of {n:,} characters (the limit is {self.limit:,})")

    def remember(self, obj: Any) -> Any:
        """Measure a container the template just made (and keep its size)."""
        self.size(obj)
        return obj

    def _too_big(self) -> Refused:
        return Refused(f"it tried to make a text of more than {self.limit:,} characters")

    def _measure(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        """(size, height, frozen) of `obj` found `depth` levels down."""
        if isinstance(obj, (str, bytes)):
            n = len(obj) + 2
        elif obj is None or isinstance(obj, (bool, float)):
            n = 24
        elif isinstance(obj, int):
            n = obj.bit_length() // 3 + 2
        elif isinstance(obj, (list, tuple, dict, set, frozenset, Namespace, *_VIEWS)):
            return self._container(obj, budget, depth, indent)
        else:  # functions, macros, loop objects, generators, undefined: a short repr
            n = 64
        if n > budget:
            raise self._too_big()
        return n, 0, True

    def _container(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        known = self._known.get(id(obj)) if indent == 0 else None
        if known is not None and known[0] is obj:
            _, n, height = known
        else:
            n, height, frozen = self._walk(obj, budget, depth, indent)
            if frozen and indent == 0:
                self._known[id(obj)] = (obj, n, height)
            else:
                return n, height, frozen
        if n > budget:
            raise self._too_big()
        if depth + height > MAX_DEPTH:
            raise Refused(f"it nested lists or dicts more than {MAX_DEPTH} levels deep")
        return n, height, True

    def _walk(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        if depth >= MAX_DEPTH:
            raise Refused(f"it nested lists or dicts more than {MAX_DEPTH} levels deep")
        frozen = not isinstance(obj, Namespace)
        if isinstance(obj, Namespace):
            items: Iterable[Any] = _namespace_items(obj)
        elif isinstance(obj, dict):
            items = (x for kv in obj.items() for x in kv)
        else:
            items = obj
        n, height = 16, 1
        step = 2 + indent * (depth + 1)
        for item in items:
            size, below, item_frozen = self._measure(item, budget - n - step, depth + 1, indent)
            n += size + step
            height = max(height, below + 1)
            frozen = frozen and item_frozen
        return n, height, frozen


def _namespace_items(ns: Namespace) -> Iterator[Any]:
    attrs: dict[str, Any] = object.__getattribute__(ns, "_Namespace__attrs")
    for key, value in list(attrs.items()):
        yield key
        yield value


# --- format strings: how wide can they get? ----------------------------------------------

_PERCENT_FIELD = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?[hlL]?"
    r"(?P<type>[a-zA-Z%])"
)
_DIGITS = re.compile(r"\d+")


def percent_estimate(meter: Meter, fmt: str, values: Any) -> int:
    """Characters of `fmt % values` at most: widths, precisions and the values' text."""
    if isinstance(values, Mapping):
        items = list(values.values())
    elif isinstance(values, tuple):
        items = list(values)
    else:
        items = [values]
    widest = max((meter.size(v) for v in items), default=0)
    stars = max((abs(v) for v in items if isinstance(v, int)), default=0)
    n = len(fmt)
    for m in _PERCENT_FIELD.finditer(fmt):
        for part in (m["width"], m["prec"]):
            if part == "*":
                n += stars
            elif part:
                n += int(part) if len(part) < 12 else 10**12
        n += widest * (10 if m["type"] == "a" else 1)
    return n


def format_estimate(meter: Meter, fmt: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """Characters of `fmt.format(*args, **kwargs)` at most."""
    widest = max((meter.size(v) for v in (*args, *kwargs.values())), default=0)
    n = len(fmt)
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return n  # str.format raises the same error itself
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if spec and "{" in spec:
            raise Refused("it used a nested format field ('{:{}}'), which is not allowed")
        for digits in _DIGITS.findall(spec or ""):
            n += int(digits) if len(digits) < 12 else 10**12
        n += widest * (10 if conversion == "a" else 1)
    return n


def check_ints(meter: Meter, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Numbers handed to C code are widths, counts and lengths: none beyond the limit."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > meter.limit:
            raise Refused(f"it passed the number {value:.3g} where a size is expected")


def check_str_method(
    meter: Meter, text: str | bytes, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> None:
    """Estimate the methods whose result can be far longer than the text they run on
    (the padding ones are covered by the bound on their numbers)."""
    n = len(text)
    if name == "expandtabs":
        size = kwargs.get("tabsize", args[0] if args else 8)
        tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
        estimate = n + tabs * size if isinstance(size, int) else n
    elif name == "replace" and len(args) >= 2:
        estimate = _replace_estimate(text, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "join" and args:
        items = args[0]
        estimate = sum(meter.size(i) for i in items) + n * len(items)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        widest = max((meter.size(v) for v in args[0].values()), default=1)
        estimate = n * widest
    else:
        return
    meter.check(estimate, f"make a text with {name}()")


def _replace_estimate(text: Any, old: Any, new: Any, count: Any) -> int:
    if not isinstance(old, type(text)) or not isinstance(new, type(text)):
        return len(text)
    hits = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


# --- filters with sizes of their own ------------------------------------------------------


def _pre_replace(meter: Meter, s: Any, old: Any, new: Any, count: Any = None) -> None:
    text = s if isinstance(s, str) else str(s)
    estimate = _replace_estimate(text, str(old), str(new), -1 if count is None else count)
    meter.check(estimate, "make a text with replace")


def _pre_indent(meter: Meter, s: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    text = s if isinstance(s, str) else str(s)
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    meter.check(len(text) + (text.count("\n") + 1) * pad, "make a text with indent")


def _pre_wordwrap(
    meter: Meter,
    s: Any,
    width: Any = 79,
    brk: Any = True,
    wrapstring: Any = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    text = s if isinstance(s, str) else str(s)
    sep = len(wrapstring) if isinstance(wrapstring, str) else 2
    lines = len(text) // max(1, width if isinstance(width, int) else 1) + text.count("\n") + 1
    meter.check(len(text) + lines * sep, "make a text with wordwrap")


def _pre_format(meter: Meter, value: Any, *args: Any, **kwargs: Any) -> None:
    fmt = value if isinstance(value, str) else str(value)
    meter.check(percent_estimate(meter, fmt, kwargs or args), "format a text")


def _pre_urlize(meter: Meter, value: Any, *args: Any, **kwargs: Any) -> None:
    # Its regular expressions run once per word; a prompt has no use for links.
    meter.check(len(str(value)) * 64, "make a text with urlize")


# Filters whose numbers C code turns into sizes (center(n) pads to n characters).
SIZED_FILTERS = frozenset({"batch", "center", "indent", "slice", "truncate", "wordwrap"})
PRECHECKS: dict[str, Callable[..., None]] = {
    "replace": _pre_replace,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "format": _pre_format,
    "urlize": _pre_urlize,
}
