"""The solve / verify / repair pipelines, stage by stage.

Inputs are the task's statement, starter code and public examples only; nothing else reaches a
prompt, a selection step or a repair step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import anyio

from engine.calls import Meter, TaskCalls
from engine.candidates import Behaviour, Candidate, GeneratedTest
from engine.config import PipelineConfig
from engine.execute import Execution, Executor
from engine.prompts import load_prompt_set
from engine.runtime.base import Runtime, SamplingParams
from engine.stages import DIRECT_FIX, PLAN_SKETCH, PLANNED_CODE, REPAIR, SELF_TESTS
from engine.stages.generate import greedy_candidate, planned_candidate, sampled_candidates
from engine.stages.plan import make_plans
from engine.stages.read import embed_readings, read_candidates
from engine.stages.repair import direct_fixes, propose_repairs
from engine.stages.select import Choice, rank_clusters, viable_indices
from engine.stages.self_tests import generate_tests
from engine.stages.tie_break import challenger_wins, duel_of, is_close
from engine.task import Answer, CaseResult, CaseStatus, Event, Evidence, Example, Task, VerifyReport
from engine.trace import Tracer
from lens.features import CandidateReading
from sandbox.worker import encode_value

if TYPE_CHECKING:
    import numpy as np

    from lens.scoring import Lens

SELF_TEST_COUNT = 6
REPAIR_SAMPLES = 2

# An answer's confidence, for the editor's message: how much the public examples back it.
CONFIDENCE_ROUTER_STOP = 0.6
"""The first attempt passed every public example and the router stopped there."""
CONFIDENCE_LONE_ATTEMPT_PASSES = 0.5
"""The first attempt, the only candidate, passed every public example."""
CONFIDENCE_FIRST_PASSING = 0.5
"""Selection off: the first candidate that passes every public example."""
CONFIDENCE_REPAIR_PASSES = 0.7
"""A repair that passes the examples and the user's failing tests."""
CONFIDENCE_NOTHING_PASSES = 0.1
"""No candidate passes every public example: the best effort, flagged as such."""


@dataclass(frozen=True)
class Exploration:
    """What the solve path knows just before it chooses: every candidate and what it did."""

    candidates: tuple[Candidate, ...]
    executions: tuple[Execution, ...]
    escalated: bool
    """False when the first attempt was all there was (the router stopped, or every stage is off)."""
    tests: tuple[GeneratedTest, ...] = ()
    """The generated inputs every candidate ran on, in the order of each execution's `tests`."""

    @property
    def behaviours(self) -> tuple[Behaviour, ...]:
        return tuple(_behaviour(execution) for execution in self.executions)


class Pipeline:
    def __init__(
        self, runtime: Runtime, executor: Executor, config: PipelineConfig, tracer: Tracer, lens: Lens | None = None
    ) -> None:
        self._runtime = runtime
        self._executor = executor
        self._config = config
        self._prompts = load_prompt_set(config.prompt_set)
        self._tracer = tracer
        self._lens = lens

    def _calls(self, task: Task, emit: Callable[[Event], None]) -> TaskCalls:
        return TaskCalls(self._runtime, self._prompts, self._tracer, Meter(), task.task_id, emit, task.kind)

    async def solve(self, task: Task, emit: Callable[[Event], None]) -> tuple[Answer, Exploration]:
        """The answer, and the exploration it was chosen from."""
        calls = self._calls(task, emit)
        exploration = await self._explore(calls, task)
        return await self._choose(calls, task, exploration), exploration

    async def _choose(self, calls: TaskCalls, task: Task, exploration: Exploration) -> Answer:
        candidates, executions = exploration.candidates, exploration.executions
        if not exploration.escalated:
            if not _behaviour(executions[0]).proves_itself:
                confidence = CONFIDENCE_NOTHING_PASSES
            elif self._config.router:
                confidence = CONFIDENCE_ROUTER_STOP
            else:
                confidence = CONFIDENCE_LONE_ATTEMPT_PASSES
            return self._answer(calls, candidates, executions, 0, confidence)
        if self._config.selection:
            behaviours = exploration.behaviours
            energies = await self._energies(calls, task, exploration, viable_indices(behaviours))
            ranking = rank_clusters(behaviours, prefer=0, energies=energies)
            choice = ranking[0]
            if self._config.tie_break and len(ranking) > 1 and is_close(choice.score, ranking[1].score):
                choice = await self._break_tie(calls, task, exploration, choice, ranking[1])
            calls.trace(
                "selection",
                chosen=choice.index,
                cluster=choice.cluster_size,
                viable=choice.viable,
                origins=[c.origin for c in candidates],
                energies=energies,
            )
            energy = energies[choice.index] if energies else None
            return self._answer(
                calls, candidates, executions, choice.index, choice.confidence, choice.cluster_size, energy
            )
        passing = [i for i, e in enumerate(executions) if e.passes_examples]
        chosen = passing[0] if passing else 0
        confidence = CONFIDENCE_FIRST_PASSING if passing else CONFIDENCE_NOTHING_PASSES
        return self._answer(calls, candidates, executions, chosen, confidence)

    async def explore(self, task: Task, emit: Callable[[Event], None]) -> Exploration:
        """Every candidate the solve path would choose from, executed, without choosing."""
        return await self._explore(self._calls(task, emit), task)

    async def read(self, task: Task, exploration: Exploration, indices: Sequence[int]) -> list[CandidateReading]:
        """The Lens's inputs for the candidates at `indices`: the model's reading of each, and its features."""
        codes = [candidate.code for candidate in exploration.candidates]
        return await read_candidates(self._runtime, self._prompts, task, codes, exploration.behaviours, indices)

    async def read_codes(self, task: Task, codes: Sequence[str]) -> list[np.ndarray]:
        """The model's reading (embedding) of each code as the Lens reads a candidate for `task`."""
        return await embed_readings(self._runtime, self._prompts, task, codes)

    async def _explore(self, calls: TaskCalls, task: Task) -> Exploration:
        calls.trace(
            "task",
            statement=task.statement,
            starter_code=task.starter_code,
            examples=[(e.input, e.output) for e in task.examples],
            context=task.context,
        )
        state = _Exploring()
        stages = [spec for spec in SOLVE_STAGES if spec.switch is None or getattr(self._config, spec.switch)]
        state.progress_total = sum(spec.progress for spec in stages)
        for spec in stages:
            if state.settled:
                break
            calls.event(spec.name, state.progress_done, state.progress_total, spec.message)
            await spec.run(self, calls, task, state)
            state.progress_done += spec.progress
        return Exploration(tuple(state.candidates), tuple(state.executions), state.escalated, tuple(state.tests))

    async def _first_attempt(self, calls: TaskCalls, task: Task, state: _Exploring) -> None:
        state.candidates.append(await greedy_candidate(calls, task, self._config.max_tokens))
        state.executions.append(await self._execute(calls, task, state.candidates[0], []))
        if self._config.router and _behaviour(state.executions[0]).proves_itself:
            calls.trace("router", decision="stop: first attempt passes every public example")
            state.settled = True
        elif not _escalates(self._config):
            state.settled = True
        state.escalated = not state.settled

    async def _plan(self, calls: TaskCalls, task: Task, state: _Exploring) -> None:
        config = self._config
        plans = await make_plans(calls, task, _plan_count(config), config.seed, PLAN_SKETCH)
        planned: list[Candidate | None] = [None] * len(plans)

        async def write(index: int, text: str) -> None:
            planned[index] = await planned_candidate(
                calls, task, text, index, config.max_tokens, config.seed, PLANNED_CODE
            )

        async with anyio.create_task_group() as group:
            for index, text in enumerate(plans):
                group.start_soon(write, index, text)
        state.planned = [candidate for candidate in planned if candidate is not None]

    async def _sample(self, calls: TaskCalls, task: Task, state: _Exploring) -> None:
        """Samples in waves until a candidate proves itself or the budget is spent; the first wave is
        executed together with the planned candidates."""
        config = self._config
        budget = config.candidates - _plan_count(config)
        wave = min(config.wave or budget, budget)
        fresh = [*await self._samples(calls, task, state, wave), *state.planned]
        while True:
            state.candidates.extend(fresh)
            state.executions.extend(await self._execute_all(calls, task, fresh, []))
            if state.sampled >= budget or any(_behaviour(e).proves_itself for e in state.executions):
                break
            calls.event(
                "sample",
                state.progress_done,
                state.progress_total,
                f"{state.sampled} of {budget} samples: none passes yet",
            )
            fresh = await self._samples(calls, task, state, min(wave, budget - state.sampled))
        calls.trace("budget", samples=state.sampled, of=budget)

    async def _samples(self, calls: TaskCalls, task: Task, state: _Exploring, count: int) -> list[Candidate]:
        # Seeds continue across waves: the first k samples are those a run of k candidates writes.
        config = self._config
        written = await sampled_candidates(
            calls, task, count, config.temperature, config.max_tokens, config.seed + state.sampled
        )
        state.sampled += len(written)
        return written

    async def _self_tests(self, calls: TaskCalls, task: Task, state: _Exploring) -> None:
        if not (self._config.self_tests_always or _contested(state.candidates, state.executions)):
            return
        state.tests = await generate_tests(calls, task, SELF_TEST_COUNT, self._config.seed, SELF_TESTS)
        calls.trace("self_tests", inputs=[t.input for t in state.tests])
        state.executions = await self._execute_all(calls, task, state.candidates, state.tests)

    async def _repair_failing(self, calls: TaskCalls, task: Task, state: _Exploring) -> None:
        if task.examples and not any(e.passes_examples for e in state.executions):
            await self._repair_rounds(calls, task, state.candidates, state.executions, state.tests)

    async def _break_tie(
        self, calls: TaskCalls, task: Task, exploration: Exploration, leader: Choice, challenger: Choice
    ) -> Choice:
        executions = exploration.executions
        duel = duel_of(
            task, [t.input for t in exploration.tests], executions[leader.index], executions[challenger.index]
        )
        if duel is None:
            return leader
        calls.event("tie_break", 3, 4, "judging the two best clusters on an input where they differ")
        won = await challenger_wins(calls, task, duel, self._config.seed)
        return challenger if won else leader

    async def _energies(
        self, calls: TaskCalls, task: Task, exploration: Exploration, indices: Sequence[int]
    ) -> list[float | None] | None:
        """Lens energies of the candidates at `indices` (None elsewhere), or None when no Lens is in use."""
        if self._lens is None or not self._config.lens:
            return None
        calls.event("lens", 3, 4, f"reading {len(indices)} candidates")
        started = anyio.current_time()
        readings = await self.read(task, exploration, indices)
        calls.meter.add("lens", seconds=anyio.current_time() - started, candidates=len(readings))
        energies: list[float | None] = [None] * len(exploration.candidates)
        for reading, energy in zip(readings, self._lens.energies(readings), strict=True):
            energies[reading.index] = energy
        return energies

    async def verify(self, task: Task, code: str, emit: Callable[[Event], None]) -> VerifyReport:
        """Run `code` on its examples and on generated tests whose expected results earn trust.

        A generated test reports a failure only when the model's predicted result is reproduced by
        most independently written candidates: a prediction alone is too often wrong.
        """
        calls = self._calls(task, emit)
        calls.event("self_tests", 0, 3, "writing tests")
        tests = await generate_tests(calls, task, SELF_TEST_COUNT, self._config.seed, SELF_TESTS)
        predicted = [t for t in tests if t.has_prediction]
        calls.event("generate", 1, 3, "reference candidates")
        references = await sampled_candidates(
            calls,
            task,
            max(2, self._config.candidates),
            self._config.temperature,
            self._config.max_tokens,
            self._config.seed,
        )
        calls.event("execute", 2, 3, "running")
        subject = await self._executor.run(task, code, predicted)
        reference_runs = await self._execute_all(calls, task, references, predicted)
        cases = _example_cases(task, subject)
        for index, test in enumerate(predicted):
            expected = encode_value(test.predicted)
            votes = sum(1 for run in reference_runs if run.tests[index].output == expected)
            trusted = votes * 2 > len(reference_runs)
            outcome = subject.tests[index]
            status: CaseStatus
            if outcome.output == expected:
                status = "passed"
            elif outcome.output is None:
                status = outcome.verdict
            else:
                status = "failed" if trusted else "ran"
            cases.append(
                CaseResult(test.input, expected if trusted else None, outcome.shown, status, outcome.error, "generated")
            )
        calls.event("execute", 3, 3, "done")
        return VerifyReport(tuple(cases))

    async def check(self, task: Task, code: str) -> tuple[CaseResult, ...]:
        """`code` run on the task's examples, and nothing else: no model call."""
        return tuple(_example_cases(task, await self._executor.run(task, code, ())))

    async def repair(self, task: Task, code: str, failing: Sequence[Example], emit: Callable[[Event], None]) -> Answer:
        """Rewrite `code` until it passes its examples plus `failing`, keeping only real improvements."""
        calls = self._calls(task, emit)
        known = {e.input for e in task.examples}
        task = replace(task, examples=(*task.examples, *(e for e in failing if e.input not in known)))
        if not task.examples:
            # Nothing to run it on, so nothing to hold a fix to: the rewrite from the code and the problem.
            return await self.rewrite(task, code, emit)
        candidates = [Candidate(code, "original")]
        # Every example of the original runs, even after a hang: a fix is held to each one it passed.
        executions = [await self._execute(calls, task, candidates[0], [], every_test=True)]
        if not executions[0].passes_examples:
            await self._direct_fixes(calls, task, candidates, executions)
        if not any(e.passes_examples for e in executions) and self._config.repair_analysis:
            await self._repair_rounds(calls, task, candidates, executions, [])
        best = max(range(len(executions)), key=lambda i: (executions[i].examples_passed, -i))
        confidence = CONFIDENCE_REPAIR_PASSES if executions[best].passes_examples else CONFIDENCE_NOTHING_PASSES
        return self._answer(calls, candidates, executions, best, confidence)

    async def rewrite(self, task: Task, code: str, emit: Callable[[Event], None]) -> Answer:
        """One greedy rewrite of `code`, nothing executed: the baseline the repair benchmark compares with."""
        calls = self._calls(task, emit)
        calls.event("repair", 0, 1, "one rewrite, nothing run")
        params = [DIRECT_FIX.params(self._config.seed, self._config.max_tokens)]
        (candidate,) = await direct_fixes(calls, task, code, [], params, "repair:unchecked")
        calls.trace("answer", code=candidate.code, origin=candidate.origin, confidence=0.0)
        evidence = Evidence(candidates=1, examples_total=0, examples_passed=0, repaired=True, origin=candidate.origin)
        return Answer(candidate.code, 0.0, evidence, calls.meter.snapshot())

    async def _direct_fixes(
        self, calls: TaskCalls, task: Task, candidates: list[Candidate], executions: list[Execution]
    ) -> None:
        """Direct fixes of the original from its failures: the greedy one, then sampled ones in waves,
        until one passes every example or the budget is spent; each is kept only if it improves on the
        original."""
        config = self._config
        waves: list[tuple[str, list[SamplingParams]]] = []
        if config.direct_repair:
            waves.append(("repair:direct", [DIRECT_FIX.params(config.seed, config.max_tokens)]))
        if config.repair_samples:
            size = min(config.wave or config.candidates, config.candidates)
            for written in range(0, config.candidates, size):
                count = min(size, config.candidates - written)
                params = [REPAIR.params(config.seed + written, config.max_tokens, i) for i in range(count)]
                waves.append(("repair:sampled", params))
        failures = executions[0].failures(task)[: config.feedback_failures]
        total = sum(len(params) for _, params in waves)
        tried = 0
        for origin, params in waves:
            calls.event("repair", tried, total, f"{len(params)} direct fixes from the failure ({tried} tried)")
            proposals = await direct_fixes(calls, task, candidates[0].code, failures, params, origin)
            for proposal, execution in zip(proposals, await self._execute_all(calls, task, proposals, []), strict=True):
                if execution.improves_on(executions[0], task, failures[0].input):
                    candidates.append(proposal)
                    executions.append(execution)
                    calls.trace("repair_kept", round=0, examples_passed=execution.examples_passed)
            if any(e.passes_examples for e in executions):
                return
            tried += len(params)

    async def _repair_rounds(
        self,
        calls: TaskCalls,
        task: Task,
        candidates: list[Candidate],
        executions: list[Execution],
        tests: Sequence[GeneratedTest],
    ) -> None:
        """Repair the most promising failing candidates; a fix is kept only if it passes everything
        the original passed plus the case it was repaired on."""
        for round_index in range(1, self._config.repair_rounds + 1):
            calls.event("repair", round_index, self._config.repair_rounds, f"round {round_index}")
            ranked = sorted(range(len(candidates)), key=lambda i: -executions[i].examples_passed)
            seen: set[str] = set()
            targets = []
            for index in ranked:
                if candidates[index].code not in seen and not executions[index].passes_examples:
                    seen.add(candidates[index].code)
                    targets.append(index)
            for index in targets[: self._config.repair_targets]:
                failures = executions[index].failures(task)[: self._config.feedback_failures]
                proposals = await propose_repairs(
                    calls,
                    task,
                    candidates[index].code,
                    failures,
                    REPAIR_SAMPLES,
                    round_index,
                    self._config.seed,
                    self._config.max_tokens,
                    REPAIR,
                )
                for proposal in proposals:
                    execution = await self._execute(calls, task, proposal, tests)
                    if execution.improves_on(executions[index], task, failures[0].input):
                        candidates.append(proposal)
                        executions.append(execution)
                        calls.trace("repair_kept", round=round_index, examples_passed=execution.examples_passed)
                if any(e.passes_examples for e in executions):
                    return

    async def _execute(
        self,
        calls: TaskCalls,
        task: Task,
        candidate: Candidate,
        tests: Sequence[GeneratedTest],
        *,
        every_test: bool = False,
    ) -> Execution:
        started = anyio.current_time()
        execution = await self._executor.run(task, candidate.code, tests, stop_after_timeout=not every_test)
        calls.meter.add("execute", seconds=anyio.current_time() - started, sandbox_runs=1, candidates=1)
        return execution

    async def _execute_all(
        self, calls: TaskCalls, task: Task, candidates: Sequence[Candidate], tests: Sequence[GeneratedTest]
    ) -> list[Execution]:
        results: list[Execution | None] = [None] * len(candidates)

        async def run(index: int) -> None:
            results[index] = await self._execute(calls, task, candidates[index], tests)

        async with anyio.create_task_group() as group:
            for index in range(len(candidates)):
                group.start_soon(run, index)
        return [r for r in results if r is not None]

    def _answer(
        self,
        calls: TaskCalls,
        candidates: Sequence[Candidate],
        executions: Sequence[Execution],
        chosen: int,
        confidence: float,
        cluster_size: int = 1,
        energy: float | None = None,
    ) -> Answer:
        execution = executions[chosen]
        evidence = Evidence(
            candidates=len(candidates),
            examples_total=len(execution.examples),
            examples_passed=execution.examples_passed,
            cluster_size=cluster_size,
            energy=energy,
            repaired=candidates[chosen].origin.startswith("repair"),
            origin=candidates[chosen].origin,
        )
        calls.trace("answer", code=candidates[chosen].code, origin=candidates[chosen].origin, confidence=confidence)
        return Answer(candidates[chosen].code, confidence, evidence, calls.meter.snapshot())


def _example_cases(task: Task, execution: Execution) -> list[CaseResult]:
    return [
        CaseResult(example.input, example.output, outcome.shown, outcome.verdict, outcome.error, "example")
        for example, outcome in zip(task.examples, execution.examples, strict=False)
    ]


def _contested(candidates: Sequence[Candidate], executions: Sequence[Execution]) -> bool:
    """Whether candidates that selection would consider (those passing the most public examples) differ in
    code: only then are generated inputs worth a model call, to tell them apart by behaviour."""
    best = max(e.examples_passed for e in executions)
    return len({c.code for c, e in zip(candidates, executions, strict=True) if e.examples_passed == best}) > 1


def _escalates(config: PipelineConfig) -> bool:
    return config.candidates > 1 or config.plan or config.self_tests or config.repair


def _plan_count(config: PipelineConfig) -> int:
    return config.candidates // 2 if config.plan else 0


@dataclass
class _Exploring:
    """The solve path's working state, handed from stage to stage."""

    candidates: list[Candidate] = field(default_factory=list)
    executions: list[Execution] = field(default_factory=list)
    planned: list[Candidate] = field(default_factory=list)
    """Written by the plan stage, executed with the first wave of samples."""
    sampled: int = 0
    tests: list[GeneratedTest] = field(default_factory=list)
    escalated: bool = False
    """Past the first attempt (see Exploration.escalated)."""
    settled: bool = False
    """No later stage runs."""
    progress_done: int = 0
    progress_total: int = 0


StageRun = Callable[[Pipeline, TaskCalls, Task, _Exploring], Awaitable[None]]


@dataclass(frozen=True)
class StageSpec:
    """One stage of the solve path, in the order `SOLVE_STAGES` lists them."""

    name: str
    """Its progress events."""
    run: StageRun
    switch: str | None = None
    """The PipelineConfig flag that turns it on; None for a stage that runs whenever the budget allows."""
    progress: int = 1
    """Its share of the job's progress bar."""
    message: str = ""


SOLVE_STAGES: tuple[StageSpec, ...] = (
    StageSpec("generate", Pipeline._first_attempt, message="first attempt"),
    StageSpec("plan", Pipeline._plan, switch="plan", message="plans, then a candidate from each"),
    StageSpec("sample", Pipeline._sample, progress=2, message="samples, in waves"),
    StageSpec("self_tests", Pipeline._self_tests, switch="self_tests", message="inputs to tell the candidates apart"),
    StageSpec("repair", Pipeline._repair_failing, switch="repair", message="repairing failing candidates"),
)
"""The solve path: adding a stage is a module in engine/stages, a runner method, a spec here and (for an
optional stage) its switch in PipelineConfig."""


def _behaviour(execution: Execution) -> Behaviour:
    return Behaviour(
        examples_passed=execution.examples_passed,
        examples_total=len(execution.examples),
        outputs=tuple(outcome.output for outcome in execution.tests),
        predictions_matched=execution.predictions_matched,
    )
