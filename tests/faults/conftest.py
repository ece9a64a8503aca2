"""Tables of the fault matrix and the bad-input cases, printed after the run.

The matrix (provider × fault: passed/cases) goes to ``artifacts/fault-matrix.md`` and the
bad-input table (case, surface, message) to ``artifacts/bad-input.md``, but only when the
whole set ran (a ``-k`` selection prints its table without overwriting the artifact).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
# case id -> (provider, phase, fault, passed)
MATRIX: dict[str, tuple[str, str, str, bool]] = {}
# (case, surface, message) rows recorded by test_bad_input.py
BAD_INPUT: list[tuple[str, str, str, bool]] = []
PROVIDER_NAMES = {
    "segmind": "Segmind v2",
    "segmind-v1": "Segmind v1",
    "aimlapi": "AI/ML API",
    "minimax": "MiniMax",
    "fal": "fal",
    "replicate": "Replicate",
}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    report = yield
    params = getattr(item, "callspec", None)
    case = params.params.get("case") if params is not None else None
    is_case = case is not None and type(case).__name__ == "Case"
    if is_case and (report.when == "call" or report.failed):
        MATRIX[case.id] = (case.provider, case.phase, case.fault, report.passed)
    return report


def matrix_table(
    rows: dict[str, tuple[str, str, str, bool]],
    promise: dict[str, tuple[int, int]] | None = None,
) -> str:
    """Markdown: one row per provider, one column per fault, ``passed/cases`` per cell, and
    the jobs lost / paid twice over the provider's cases (``promise``: case id -> counts)."""
    promise = promise or {}
    faults: list[str] = []
    for _, _, fault, _ in rows.values():
        if fault not in faults:
            faults.append(fault)
    providers = [p for p in PROVIDER_NAMES if any(r[0] == p for r in rows.values())]
    head = "| provider | " + " | ".join(faults) + " | all | lost / paid twice |"
    lines = [head, "|---" * (len(faults) + 3) + "|"]
    for p in providers:
        cells = []
        for f in faults:
            got = [ok for prov, _, fault, ok in rows.values() if prov == p and fault == f]
            cells.append(f"{sum(got)}/{len(got)}" if got else "–")
        mine = [ok for prov, _, _, ok in rows.values() if prov == p]
        counted = [promise[cid] for cid, row in rows.items() if row[0] == p and cid in promise]
        kept = f"{sum(c[0] for c in counted)} / {sum(c[1] for c in counted)}" if counted else "–"
        lines.append(
            f"| {PROVIDER_NAMES[p]} | "
            + " | ".join(cells)
            + f" | {sum(mine)}/{len(mine)} | {kept} |"
        )
    total = [ok for *_, ok in rows.values()]
    lines.append(f"\n{sum(total)}/{len(total)} cases passed.")
    phases: dict[str, list[bool]] = {}
    for _, phase, _, ok in rows.values():
        phases.setdefault(phase, []).append(ok)
    lines.append(
        "By phase: " + ", ".join(f"{ph} {sum(v)}/{len(v)}" for ph, v in phases.items()) + "."
    )
    return "\n".join(lines)


def bad_input_table(rows: list[tuple[str, str, str, bool]]) -> str:
    """Markdown: case, surface, the one-line message the user sees."""
    lines = ["| case | surface | message | no request |", "|---|---|---|---|"]
    for case, surface, message, quiet in rows:
        text = message.replace("|", "\\|")
        lines.append(f"| {case} | {surface} | {text} | {'yes' if quiet else 'NO'} |")
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MATRIX:
        from .test_matrix import CASES, PROMISE

        table = matrix_table(MATRIX, PROMISE)
        terminalreporter.write_sep("=", "fault matrix (provider × fault: passed/cases)")
        terminalreporter.write_line(table)
        if len(MATRIX) == len(CASES):
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "fault-matrix.md").write_text(
                "# Fault matrix\n\nWritten by `pytest tests/faults/test_matrix.py`; every cell is"
                " passed/cases over the phases (submit, poll, result, download) where the fault"
                " exists for that provider.\n\n" + table + "\n"
            )
    if BAD_INPUT:
        from .test_bad_input import CASE_COUNT

        terminalreporter.write_sep("=", f"bad input: {len(BAD_INPUT)} cases")
        surfaces: dict[str, int] = {}
        for _, surface, _, _ in BAD_INPUT:
            surfaces[surface] = surfaces.get(surface, 0) + 1
        terminalreporter.write_line(", ".join(f"{s}: {n}" for s, n in surfaces.items()))
        if len(BAD_INPUT) == CASE_COUNT:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "bad-input.md").write_text(
                "# Bad input: one line, nothing sent\n\nWritten by"
                " `pytest tests/faults/test_bad_input.py`.\n\n" + bad_input_table(BAD_INPUT) + "\n"
            )
