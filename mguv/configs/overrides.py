"""``--set key=value`` overrides: ``key`` is ``section.field`` (``train.beta=0.5``) or a bare field
name when only one section has it (``beta=0.5`` sets the beta-VAE weight)."""

import dataclasses
import difflib
import typing

from mguv.configs.schema import SECTIONS
from mguv.errors import UsageError


def parse_value(text, annotation, key):
    """``text`` as a value of type ``annotation`` (bool, int, float, str, or a tuple of ints written
    "4,4" or "(4, 4)"); anything else is a ``UsageError`` naming ``--set key=text``."""
    try:
        if annotation is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if annotation is tuple:
            return tuple(int(v) for v in text.strip("()[] ").split(",") if v.strip())
        return annotation(text)
    except ValueError:
        raise UsageError(f"--set {key}={text}: expected a {annotation.__name__}") from None


def override(config, assignments):
    """Applies ``key=value`` strings to ``config`` and returns the new (frozen) config."""
    sections = {s: getattr(config, s) for s in SECTIONS}
    for assignment in assignments:
        key, eq, text = assignment.partition("=")
        if not eq:
            raise UsageError(f"--set {assignment}: expected key=value")
        section, _, field = key.rpartition(".")
        candidates = [section] if section else [s for s in SECTIONS
                                                if field in settable_fields(sections[s])]
        if section and section not in SECTIONS:
            raise UsageError(f"--set {key}: unknown section {section!r}; choose from {', '.join(SECTIONS)}")
        if not candidates or field not in settable_fields(sections[candidates[0]]):
            known = sorted({f for s in SECTIONS for f in settable_fields(sections[s])})
            close = difflib.get_close_matches(field, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"--set {key}: unknown setting{hint}")
        if len(candidates) > 1:
            raise UsageError(f"--set {key}: ambiguous; write one of "
                             + ", ".join(f"{c}.{field}" for c in candidates))
        target = sections[candidates[0]]
        annotation = settable_fields(target)[field]
        try:
            sections[candidates[0]] = dataclasses.replace(target, **{field: parse_value(text, annotation, key)})
        except ValueError as err:
            raise UsageError(f"--set {key}={text}: {err}") from None
    return dataclasses.replace(config, **sections)


def settable_fields(obj):
    """{field name: type} of a config section that ``--set`` may change (not ``family``/``mode``)."""
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj) if f.init}
