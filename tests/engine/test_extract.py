"""Code extraction from model replies."""

from engine.extract import extract_code, keep_definitions


def test_the_last_fenced_block_is_taken() -> None:
    reply = "Idea:\n```python\nx = 1\n```\nFinal:\n```python\nprint(2)\n```\nDone."
    assert extract_code(reply) == "print(2)\n"


def test_a_fence_without_language_is_accepted() -> None:
    assert extract_code("```\nprint(1)\n```") == "print(1)\n"


def test_a_block_cut_off_by_the_token_limit_is_kept() -> None:
    assert extract_code("```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"


def test_a_reply_without_fences_is_taken_whole() -> None:
    assert extract_code("def f():\n    return 1") == "def f():\n    return 1\n"


def test_empty_blocks_are_skipped() -> None:
    assert extract_code("```python\nprint(1)\n```\n```python\n```") == "print(1)\n"


def test_prints_and_asserts_after_a_function_are_dropped() -> None:
    code = (
        'import math\n\ndef f(x):\n    return x\n\nprint(f(2))\nassert f(1) == 1\nif __name__ == "__main__":\n'
        "    f(3)\n"
    )
    assert keep_definitions(code) == "import math\n\ndef f(x):\n    return x\n"


def test_code_that_does_not_parse_is_kept_as_is() -> None:
    assert keep_definitions("def f(:\n") == "def f(:\n"
