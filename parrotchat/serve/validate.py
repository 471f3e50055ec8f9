"""Check a request body against its schema (schema.py), naming the field and the reason.

A small checker for the part of JSON Schema that schema.py uses (type, const, enum,
bounds, lengths, items, properties, required, additionalProperties, anyOf,
dependentSchemas), written
here rather than taken from a library because the message is the product:
"messages[2].content[0].type: only text parts are supported", not a schema path.
The first problem found is reported; a node's `x-refusal` replaces any problem in it.
"""

from __future__ import annotations

import json
from typing import Any

from parrotchat.serve.errors import ApiError, bad_request
from parrotchat.serve.schema import Schema

_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


class _Invalid(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def validate(body: Any, schema: Schema) -> None:
    """Raise a 400 `ApiError` naming the first field that breaks `schema`."""
    try:
        _check(body, schema, "")
    except _Invalid as problem:
        if not problem.path:
            raise ApiError(400, f"The request body {problem.reason}") from None
        code = "unknown_parameter" if problem.reason == "unknown field" else "invalid_value"
        raise bad_request(problem.path, problem.reason, code) from None


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_ok(value: Any, types: str | list[str]) -> bool:
    actual = json_type(value)
    wanted = [types] if isinstance(types, str) else types
    return actual in wanted or (actual == "integer" and "number" in wanted)


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _check(value: Any, schema: Schema, path: str) -> None:
    try:
        _check_node(value, schema, path)
    except _Invalid:
        if "x-refusal" in schema:
            raise _Invalid(path, schema["x-refusal"]) from None
        raise


def _check_node(value: Any, schema: Schema, path: str) -> None:
    if "anyOf" in schema:
        _check_any_of(value, schema["anyOf"], path)
    types = schema.get("type")
    if types is not None and not _type_ok(value, types):
        listed = [types] if isinstance(types, str) else types
        expected = " or ".join(_NAMES[t] for t in listed)
        raise _Invalid(path, f"expected {expected}, got {_NAMES[json_type(value)]}")
    if "const" in schema and not _same(value, schema["const"]):
        raise _Invalid(path, f"{shown(value)} is not allowed; it must be {shown(schema['const'])}")
    if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
        allowed = ", ".join(shown(v) for v in schema["enum"])
        raise _Invalid(path, f"{shown(value)} is not one of {allowed}")
    match json_type(value):
        case "integer" | "number":
            _check_number(value, schema, path)
        case "string":
            _check_length(len(value), schema, path, "characters long", "Length")
            if not _is_unicode(value):
                raise _Invalid(path, "holds an unpaired surrogate escape, which is not text")
        case "array":
            _check_length(len(value), schema, path, "items", "Items")
            if "items" in schema:
                for i, item in enumerate(value):
                    _check(item, schema["items"], f"{path}[{i}]")
        case "object":
            _check_object(value, schema, path)


def _check_any_of(value: Any, branches: list[Schema], path: str) -> None:
    fitting = [b for b in branches if "type" not in b or _type_ok(value, b["type"])]
    problems: list[_Invalid] = []
    for branch in fitting:
        try:
            _check(value, branch, path)
            return
        except _Invalid as problem:
            problems.append(problem)
    if problems:
        raise problems[0]
    kinds: list[str] = []
    for branch in branches:
        listed = branch["type"] if isinstance(branch["type"], list) else [branch["type"]]
        kinds += [_NAMES[t] for t in listed if _NAMES[t] not in kinds]
    raise _Invalid(path, f"expected {' or '.join(kinds)}, got {_NAMES[json_type(value)]}")


def _check_number(value: float, schema: Schema, path: str) -> None:
    if "minimum" in schema and value < schema["minimum"]:
        raise _Invalid(path, f"{shown(value)} is below the minimum of {schema['minimum']}")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        raise _Invalid(path, f"{shown(value)} must be above {schema['exclusiveMinimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        raise _Invalid(path, f"{shown(value)} is above the maximum of {schema['maximum']}")


def _check_length(n: int, schema: Schema, path: str, unit: str, key: str) -> None:
    low, high = schema.get(f"min{key}"), schema.get(f"max{key}")
    if low is not None and n < low:
        raise _Invalid(path, "must not be empty" if low == 1 else f"needs at least {low} {unit}")
    if high is not None and n > high:
        what = f"is {n} {unit}" if unit == "characters long" else f"has {n} {unit}"
        raise _Invalid(path, f"{what}, more than {high}")


def _check_object(value: dict[str, Any], schema: Schema, path: str) -> None:
    def child(name: str) -> str:
        return f"{path}.{name}" if path else name

    # The fields given come first: a part of type "image_url" is refused for its type,
    # not for the "text" it lacks, and a "tool" message for its role.
    props: dict[str, Schema] = schema.get("properties", {})
    for name, sub in props.items():
        if name in value:
            _check(value[name], sub, child(name))
    for name in schema.get("required", []):
        if name not in value:
            raise _Invalid(child(name), "missing (required)")
    if schema.get("additionalProperties") is False:
        for name in value:
            if name not in props:
                raise _Invalid(child(name), "unknown field")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        raise _Invalid(path, f"has {len(value)} entries, more than {schema['maxProperties']}")
    for name, sub in schema.get("dependentSchemas", {}).items():
        # What a field needs of the others ("stream_options" needs "stream": true) is
        # reported as a problem of that field.
        if name in value:
            try:
                _check_node(value, sub, path)
            except _Invalid as problem:
                raise _Invalid(child(name), sub.get("x-refusal", problem.reason)) from None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # JSON's "\ud800" escape alone: no character, so no token either
    return True
