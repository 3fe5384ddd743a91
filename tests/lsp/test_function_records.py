"""What is kept about a function (verify's findings, evidence lenses) lasts while its text does: a
changed or removed function drops its records, a closed file drops all of them, and records of
unchanged functions follow them to the line they now start on."""

from __future__ import annotations

from lsprotocol import types

from atlas_lsp.features.diagnostics import Findings, finding_of
from atlas_lsp.features.evidence import EvidenceLens, lens_of
from atlas_lsp.features.function_records import FunctionRecords
from atlas_lsp.functions import ModuleSource, parse_module
from engine.task import CaseResult, Example, VerifyReport

URI = "file:///numbers.py"
TEXT = "def largest(xs):\n    return 0\n\n\ndef smallest(xs):\n    return min(xs)\n"
WRONG = CaseResult("[[-5, -2]]", "-2", "0", "failed")


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def lenses_of(text: str) -> FunctionRecords[EvidenceLens]:
    """A lens on each function of `text`."""
    module = parse_module(text)
    lenses = FunctionRecords[EvidenceLens]()
    for site in module.functions:
        lenses.record(URI, site.qualified_name, lens_of("atlas: passes 1/1 examples", site, text, utf16))
    return lenses


def findings_of(text: str, target: str) -> Findings:
    """Verify's finding of one failing case on `target` in `text`."""
    site = parse_module(text).function_named(target)
    assert site is not None
    findings = Findings()
    findings.record(URI, target, finding_of(VerifyReport((WRONG,)), site, text, utf16))
    return findings


def edited(old: str, new: str) -> ModuleSource:
    assert old in TEXT
    return parse_module(TEXT.replace(old, new))


def test_a_changed_function_drops_its_record() -> None:
    lenses = lenses_of(TEXT)
    assert lenses.forget_changed(URI, edited("return 0", "return max(xs)"))
    assert list(lenses.of_document(URI)) == ["smallest"]


def test_a_removed_function_drops_its_record() -> None:
    lenses = lenses_of(TEXT)
    assert lenses.forget_changed(URI, edited("def smallest(xs):\n    return min(xs)\n", ""))
    assert list(lenses.of_document(URI)) == ["largest"]


def test_a_change_outside_every_function_drops_nothing() -> None:
    lenses = lenses_of(TEXT)
    assert not lenses.forget_changed(URI, edited("\n\ndef smallest", "\n\nLIMIT = 3\n\n\ndef smallest"))
    assert list(lenses.of_document(URI)) == ["largest", "smallest"]


def test_a_record_follows_its_function_when_lines_are_added_above_it() -> None:
    lenses = lenses_of(TEXT)
    assert lenses.follow_moves(URI, parse_module("import math\n\n\n" + TEXT), utf16)
    smallest = lenses.get(URI, "smallest")
    assert smallest is not None and smallest.range.start.line == 7


def test_a_record_whose_function_stayed_in_place_is_not_moved() -> None:
    lenses = lenses_of(TEXT)
    assert not lenses.follow_moves(URI, edited("return min(xs)", "return sorted(xs)[0]"), utf16)


def test_a_closed_file_drops_all_its_records() -> None:
    lenses = lenses_of(TEXT)
    assert lenses.forget_document(URI)
    assert lenses.of_document(URI) == {}
    assert not lenses.forget_document(URI)


def test_a_finding_of_a_changed_function_takes_its_failures_for_repair_with_it() -> None:
    findings = findings_of(TEXT, "largest")
    assert findings.failures(URI, "largest") == (Example("[[-5, -2]]", "-2"),)
    findings.forget_changed(URI, edited("return 0", "return xs[0]"))
    assert findings.failures(URI, "largest") == ()


def test_diagnostics_of_a_moved_function_are_on_its_new_def_line() -> None:
    findings = findings_of(TEXT, "smallest")
    findings.follow_moves(URI, parse_module("import math\n" + TEXT), utf16)
    finding = findings.get(URI, "smallest")
    assert finding is not None
    assert [diagnostic.range for diagnostic in finding.diagnostics] == [
        types.Range(types.Position(5, 0), types.Position(5, 17))
    ]
