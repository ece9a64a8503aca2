"""``%%hailuo`` on AI/ML: the cost billed at submit is what the budget guard and
``%hailuo cost`` count, through a real IPython shell, the real client and emulator."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hailuo_nb.models import Cost
from hailuo_nb.notebook.registry import session_for

from .conftest import RecordingPublisher

Shell = tuple[InteractiveShell, RecordingPublisher]


@pytest.fixture
def aimlapi(shell: Shell, monkeypatch: pytest.MonkeyPatch, emulator_url: str) -> Shell:
    """The shell, on AI/ML's protocol at the emulator (which bills $0.30 a 6 s video; the
    catalog estimates $0.29)."""
    sh, rec = shell
    monkeypatch.setenv("AIMLAPI_KEY", "aiml-test-key-0123456789")
    sh.run_line_magic("config", 'Hailuo.provider = "aimlapi"')
    sh.run_line_magic("config", f'Hailuo.base_url = "{emulator_url}/aimlapi"')
    return sh, rec


def test_the_budget_counts_what_aimlapi_billed_at_submit(aimlapi: Shell) -> None:
    sh, rec = aimlapi
    # $0.58 fits two estimates ($0.29 each) but not the $0.30 billed plus one estimate.
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.58")
    sh.run_cell_magic("hailuo", "-o fox", "a red fox running through snow")
    fox = sh.user_ns["fox"]
    assert fox.cost == Cost(0.3, estimated=False)  # known before the video is
    assert session_for(sh).spent() == {"estimated_usd": 0.0, "actual_usd": 0.3}
    with pytest.raises(UsageError, match=r"\$0\.29 would pass the budget of \$0\.58 \(\$0\.30"):
        sh.run_cell_magic("hailuo", "", "an owl")
    sh.run_line_magic("hailuo", "wait fox")
    sh.run_line_magic("hailuo", "cost")
    assert "this session: $0.30 billed + ~$0.00 estimated" in rec.bundles()[-1]["text/plain"]


def test_a_failed_aimlapi_job_still_counts_what_it_was_billed(aimlapi: Shell) -> None:
    sh, rec = aimlapi
    sh.run_line_magic("config", "Hailuo.budget_usd = 0.58")
    sh.run_cell_magic("hailuo", "--wait -o bad", "a fox [[block-output]]")
    bad = sh.user_ns["bad"]
    assert bad.status == "failed" and bad.cost == Cost(0.3, estimated=False)
    shown = next(
        b["text/plain"] for b in rec.latest().values() if bad.id in b.get("text/plain", "")
    )
    assert shown.startswith(f"hailuo job {bad.id} failed: ") and "· $0.30 billed" in shown
    with pytest.raises(UsageError, match="would pass the budget"):
        sh.run_cell_magic("hailuo", "", "an owl")
