"""Standard-input tests graded like LiveCodeBench's grade_stdio."""

from __future__ import annotations

import pytest

from sandbox import Sandbox, TestCase, TestKind, Verdict, compare_stdout


def test_trailing_whitespace_on_a_line_is_ignored() -> None:
    assert compare_stdout("1 2 3   \n4\t\n", "1 2 3\n4\n").matched


def test_extra_blank_lines_at_the_end_are_ignored() -> None:
    assert compare_stdout("42\n\n\n\n", "42\n").matched


def test_missing_final_newline_is_ignored() -> None:
    assert compare_stdout("42", "42\n").matched


def test_an_extra_line_in_the_middle_is_a_mismatch() -> None:
    assert not compare_stdout("1\n\n2\n", "1\n2\n").matched


def test_different_line_counts_are_reported_without_quoting_the_answer() -> None:
    comparison = compare_stdout("1\n2\n3\n", "secret-1\nsecret-2\n")
    assert not comparison.matched
    assert comparison.detail == "output has 3 lines, expected 2"


def test_numbers_equal_as_decimals_match() -> None:
    assert compare_stdout("1.50 2\n", "1.5 2.000\n").matched


def test_numbers_differing_in_any_digit_do_not_match() -> None:
    assert not compare_stdout("0.333333\n", "0.3333333\n").matched


def test_whitespace_between_tokens_does_not_matter_for_numbers() -> None:
    assert compare_stdout("1    2\n", "1 2\n").matched


def test_words_must_match_exactly() -> None:
    assert not compare_stdout("yes\n", "Yes\n").matched


def test_case_of_a_number_line_mixed_with_words_is_exact() -> None:
    assert not compare_stdout("1.0 apples\n", "1 apples\n").matched


def test_a_signalling_nan_token_is_a_mismatch_not_a_crash() -> None:
    assert not compare_stdout("sNaN\n", "1\n").matched


async def test_program_output_with_trailing_spaces_passes_end_to_end(sandbox: Sandbox) -> None:
    code = "n = int(input())\nfor i in range(n):\n    print(i, end='  \\n')\nprint()\nprint()\n"
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "3\n", "0\n1\n2\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_float_printed_with_more_zeros_passes_end_to_end(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(f'{3 / 2:.2f}')\n", [TestCase(TestKind.STDIN, "", "1.5\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_main_guard_runs_because_programs_are_main(sandbox: Sandbox) -> None:
    code = "import sys\ndef main():\n    print(sys.stdin.read().split()[1])\nif __name__ == '__main__':\n    main()\n"
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "a b c\n", "b\n")])
    assert result.tests[0].verdict is Verdict.PASSED


@pytest.mark.parametrize(
    "reader",
    ["input() + ' ' + input()", "open(0).read()", "sys.stdin.buffer.read().decode()", "open('/dev/stdin').read()"],
)
async def test_every_way_of_reading_stdin_sees_the_input(sandbox: Sandbox, reader: str) -> None:
    code = f"import sys\nprint(*({reader}).split())\n"
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "a\nb\n", "a b\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_output_written_through_the_preamble_stdout_name_is_kept(sandbox: Sandbox) -> None:
    # The preamble's `from sys import *` binds `stdout` and `stdin`; they must be the test's streams.
    result = await sandbox.run("stdout.write(stdin.readline())\n", [TestCase(TestKind.STDIN, "7\n", "7\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_recursion_in_a_big_stack_thread_finishes_before_the_output_is_read(sandbox: Sandbox) -> None:
    code = (
        "import sys, threading\n"
        "sys.setrecursionlimit(1 << 20)\n"
        "threading.stack_size(1 << 27)\n"
        "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "def main():\n    print(depth(100000))\n"
        "threading.Thread(target=main).start()\n"
    )
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "", "100000\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_deep_recursion_in_the_main_thread_has_room(sandbox: Sandbox) -> None:
    code = (
        "import sys\nfrom functools import lru_cache\nsys.setrecursionlimit(10 ** 6)\n"
        "@lru_cache(None)\ndef depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "print(depth(100000))\n"
    )
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "", "100000\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_exit_after_printing_keeps_the_output(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(5)\nexit(1)\n", [TestCase(TestKind.STDIN, "", "5\n")])
    assert result.tests[0].verdict is Verdict.PASSED


async def test_syntax_error_fails_every_test_with_the_compiler_message(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(1\n", [TestCase(TestKind.STDIN, "", "1\n")] * 2)
    assert [test.verdict for test in result.tests] == [Verdict.RUNTIME_ERROR] * 2
    assert "SyntaxError" in result.tests[0].stderr_tail


async def test_stopping_at_the_first_failure_skips_the_rest(sandbox: Sandbox) -> None:
    tests = [TestCase(TestKind.STDIN, text, "1\n") for text in ("1", "2", "1")]
    result = await sandbox.run("print(input())\n", tests, stop_at_first_failure=True)
    assert [test.verdict for test in result.tests] == [Verdict.PASSED, Verdict.WRONG_ANSWER, Verdict.NOT_RUN]


async def test_tests_without_an_answer_return_the_raw_output(sandbox: Sandbox) -> None:
    result = await sandbox.run("print(input()[::-1])\n", [TestCase(TestKind.STDIN, "abc\n")])
    assert result.tests[0].verdict is Verdict.RAN
    assert result.tests[0].stdout == "cba\n"
    assert not result.passed


async def test_stopping_after_a_timeout_skips_the_rest_but_not_a_wrong_answer(sandbox: Sandbox) -> None:
    code = "n = int(input())\nwhile n == 0:\n    pass\nprint(n)\n"
    tests = [TestCase(TestKind.STDIN, text, "1\n") for text in ("2", "0", "1")]
    result = await sandbox.run(code, tests, stop_after_timeout=True)
    assert [test.verdict for test in result.tests] == [Verdict.WRONG_ANSWER, Verdict.TIME_LIMIT, Verdict.NOT_RUN]
    assert result.tests[2].detail == "not run: an earlier test timed out"
