"""Turning a model's reply into a program."""

from __future__ import annotations

import re

FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


def extract_code(reply: str) -> str:
    """The last fenced code block, as LiveCodeBench takes it; the whole reply if there is no fence.

    A block cut off by max_tokens (no closing fence) still counts: it may be complete code.
    """
    blocks = [block for block in FENCE.findall(reply) if block.strip()]
    code = blocks[-1] if blocks else reply
    return code.strip("\n") + "\n"
