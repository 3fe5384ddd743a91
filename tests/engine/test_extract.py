"""Code extraction from model replies."""

from engine.extract import add_missing_imports, extract_code, keep_definitions


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


def test_a_standard_module_the_code_uses_without_importing_is_imported() -> None:
    code = "def f(x):\n    return math.sqrt(x)\n"
    assert add_missing_imports(code) == "import math\ndef f(x):\n    return math.sqrt(x)\n"


def test_a_bare_name_is_imported_from_the_module_that_exports_it() -> None:
    code = "def f(xs):\n    return Counter(xs)\n"
    assert add_missing_imports(code) == "from collections import Counter\ndef f(xs):\n    return Counter(xs)\n"


def test_the_files_own_import_is_preferred_over_a_standard_module() -> None:
    code = "def f(xs):\n    return Counter(xs)\n"
    offered = ("import os", "from mylib.counting import Counter")
    assert add_missing_imports(code, offered).startswith("from mylib.counting import Counter\ndef f")


def test_a_name_the_users_helpers_define_is_not_imported() -> None:
    code = "def f(a, b):\n    return gcd(a, b)\n"
    assert add_missing_imports(code, defined="def gcd(a, b):\n    return a\n") == code


def test_names_the_code_binds_itself_are_not_imported() -> None:
    code = (
        "import heapq as hq\n\ndef f(string, xs):\n    math = 1\n    try:\n        pass\n"
        "    except ValueError as re:\n        pass\n    return [reduce for reduce in xs], hq, string, math, re\n"
    )
    assert add_missing_imports(code) == code


def test_imports_go_below_the_module_docstring_and_future_imports() -> None:
    code = '"""Doc."""\nfrom __future__ import annotations\n@functools.cache\ndef f(x):\n    return x\n'
    assert add_missing_imports(code) == (
        '"""Doc."""\nfrom __future__ import annotations\nimport functools\n@functools.cache\ndef f(x):\n    return x\n'
    )


def test_a_module_whose_import_has_side_effects_is_never_added() -> None:
    code = "def f():\n    return this, antigravity\n"
    assert add_missing_imports(code) == code


def test_code_that_does_not_parse_gets_no_imports() -> None:
    assert add_missing_imports("def f(:\n    math.pi\n") == "def f(:\n    math.pi\n"


def test_code_with_a_star_import_gets_no_imports() -> None:
    code = "from typing import *\ndef f(xs: List[int]):\n    return Counter(xs)\n"
    assert add_missing_imports(code) == code
