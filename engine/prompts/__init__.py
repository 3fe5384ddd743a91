"""Prompts as versioned data: one TOML file per prompt set, chosen by name in the configuration."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_PROMPT_SET = "v5"


@dataclass(frozen=True)
class PromptSet:
    version: str
    data: dict[str, Any]

    def render(self, key: str, **fields: str) -> str:
        """Fill the prompt at dotted `key` (e.g. "solve.stdin") with `fields`."""
        template: Any = self.data
        for part in key.split("."):
            template = template[part]
        rendered: str = template.format(**fields)
        return rendered

    def user_message(self, key: str, statement: str, **fields: str) -> str:
        """The problem header, then the instruction at `key`: one shared prefix for every stage."""
        return self.render("header", statement=statement) + self.render(key, **fields)

    def stops(self, key: str, kind: str) -> tuple[str, ...]:
        """The strings that end a reply to the prompt at `key` about a task of `kind` (none unless the set
        names some); function tasks (`call`) may have more."""
        function_stops = self.data.get("function_stops", {}).get(key, ()) if kind == "call" else ()
        return (*self.data.get("stops", {}).get(key, ()), *function_stops)

    def answer_prefix(self, key: str, greedy: bool = False, **fields: str) -> str:
        """The start of the reply to the prompt at `key`, written for the model, which continues it: a
        code-only reply then starts inside its code block, after the code the prompt already holds (the
        function's header), which the model would otherwise copy token by token at decoding speed. Empty
        unless the set gives one (`answer_prefix` for every reply, `greedy_answer_prefix` for greedy
        replies only), and when a field it names is empty (a task with no such code)."""
        tables = ("answer_prefix", "greedy_answer_prefix") if greedy else ("answer_prefix",)
        template: str = next((self.data[t][key] for t in tables if key in self.data.get(t, {})), "")
        named = [name for _, name, _, _ in string.Formatter().parse(template) if name]
        if not all(fields.get(name) for name in named):
            return ""
        return template.format(**fields)

    @property
    def system(self) -> str:
        system: str = self.data["system"]
        return system


class UnknownPromptSet(ValueError):
    """No prompt set of that name ships with the engine."""


def prompt_set_names() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(".toml")
    )


@cache
def load_prompt_set(name: str = DEFAULT_PROMPT_SET) -> PromptSet:
    """The prompt set `name`; one that `extends` another takes every prompt it does not give from it."""
    if name not in prompt_set_names():
        raise UnknownPromptSet(f"no prompt set {name!r}; the engine has {', '.join(prompt_set_names())}")
    data = tomllib.loads(resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8"))
    base = data.pop("extends", None)
    if base is not None:
        data = _merged(load_prompt_set(base).data, data)
    return PromptSet(version=data["version"], data=data)


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = (
            _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return merged
