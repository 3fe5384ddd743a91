"""What the headless commands print."""

from __future__ import annotations

from atlas_lsp.terminal import innermost
from engine.runtime.base import RuntimeFailure


def test_an_error_inside_nested_task_groups_is_shown_as_itself() -> None:
    failure = RuntimeFailure("3 sequences asked for at once")
    nested = ExceptionGroup("outer", [ExceptionGroup("inner", [failure])])
    assert innermost(nested) is failure


def test_a_plain_error_is_shown_as_itself() -> None:
    failure = RuntimeFailure("closed")
    assert innermost(failure) is failure
