"""Run untrusted candidate programs in isolation and grade them like LiveCodeBench and evalplus.

Typical use:

    sandbox = Sandbox(Limits(wall_seconds=6.0))
    result = await sandbox.run(code, [TestCase(TestKind.STDIN, "1 2\\n", "3\\n")])
    result.passed, result.tests[0].verdict

`describe_isolation()` reports which isolation this machine provides. `load_dataset` reads LiveCodeBench
rows, keeping hidden tests apart from what a solver may see; `sandbox.judge` grades given solutions.
Each `Sandbox` claims uid ranges for its workers from the machine's pool (`sandbox.uids`) and holds them
until `close()`.
"""

from sandbox.compare import compare_call, compare_functional, compare_stdout
from sandbox.executor import Sandbox
from sandbox.isolation import IsolationReport, describe_isolation
from sandbox.limits import Limits
from sandbox.results import ProgramResult, TestResult, Verdict
from sandbox.testcases import TestCase, TestKind
from sandbox.uids import NoFreeUidRange, UidPool
from sandbox.worker import OpaqueValue, decode_value, encode_value

__all__ = [
    "IsolationReport",
    "Limits",
    "NoFreeUidRange",
    "OpaqueValue",
    "ProgramResult",
    "Sandbox",
    "TestCase",
    "TestKind",
    "TestResult",
    "UidPool",
    "Verdict",
    "compare_call",
    "compare_functional",
    "compare_stdout",
    "decode_value",
    "describe_isolation",
    "encode_value",
]
