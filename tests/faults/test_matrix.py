"""The fault matrix: every provider × phase × fault, over a real socket, one job per case.

Each case resets the emulator, injects one fault, runs one job through the client and
checks four things: the job's final state and reason, that it is in the store (when it got
an id), and from the emulator's own statistics how many billable jobs were created (exactly
one, or none when the submit was refused before creation) and that the submit was *sent*
once when it may have reached the server.

Outcomes:

- ``completed``: a transient fault is survived; the video is saved and is a real MP4.
- ``uncertain``: the submit failed after it may have reached the server: ``SubmitUncertain``,
  the submit request was sent exactly once, never again (``created`` = jobs that exist).
- ``failed``: the remote job failed; ``JobFailed`` and the store carry the server's reason.
- ``refused``: the provider refused the request before creating anything (MiniMax 1026;
  Segmind's 406s, each shown in the server's own words).
- ``history``: Segmind forgot the request (past its 1-hour status window): its request
  history gives the real outcome (completed, billed cost, the video saved), not "expired".
- ``url-expired``: the download failed until the signed/kept URL expired; a later resume
  says so ("expired") instead of saving anything, and nothing is resubmitted. (For MiniMax,
  whose ``files/retrieve`` signs a fresh URL for a kept file, the resume asks for one and
  the case is ``completed``.)

Some columns are variants of how a provider answers rather than injected faults: the case
runs against an emulator started with that ``EmulatorConfig`` (``Case.config``):
``fail-code-0`` (a MiniMax ``Fail`` whose ``base_resp`` is code 0: no reason at all, the reason
as ``status_msg``, or in an extra field) and ``v1-answer`` (a Segmind v1 call answering the
bytes as octet-stream, JSON with an output URL, JSON with an error, or an HTML page).
``406`` is a fault per meaning.

Then the promise itself, counted from the emulator's own records: **lost** = jobs the
provider accepted that the store can name neither by id nor as an uncertain submit (after
``reconcile`` where the provider keeps a history); **paid twice** = billable jobs beyond
one for the request after a re-run with ``reuse="always"`` (as a notebook's Run All does).
Both must be 0 in every case.

The table (provider × fault: passed/cases, and the lost / paid-twice count) is printed at the
end of the run and written to ``artifacts/fault-matrix.md`` by ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.emulator.config import SEGMIND_406
from hailuo_nb.errors import (
    InsufficientCredits,
    JobFailed,
    NetworkError,
    ProviderError,
    SubmitUncertain,
)
from hailuo_nb.http import Retry
from hailuo_nb.polling import Backoff

from ..client.conftest import advance_clock, set_faults, stats

SLOW_S = 1.0  # how long a "slow" fault holds the answer
TIMEOUT_S = 0.4  # the client's request timeout in the "slow" cases: shorter than SLOW_S


@dataclass(frozen=True)
class Case:
    provider: str  # segmind (v2), segmind-v1, aimlapi, minimax, fal, replicate
    phase: str  # submit, poll, result, download
    fault: str
    expect: str  # completed, uncertain, failed, refused, expired, url-expired
    created: int = 1  # billable jobs the emulator must have created
    variant: str = ""  # which meaning or answer form, for faults that have several
    config: tuple[tuple[str, str], ...] = ()  # EmulatorConfig fields of the case's emulator

    @property
    def id(self) -> str:
        base = f"{self.provider}-{self.phase}-{self.fault}"
        return f"{base}-{self.variant}" if self.variant else base

    @property
    def kind(self) -> str:
        """The emulator's fault kind for this case's fault."""
        if self.fault == "406":
            return f"406_{self.variant}"
        return {"drop-after": "drop_after"}.get(self.fault, self.fault)


ENDPOINT = {
    ("segmind", "submit"): "segmind.submit",
    ("segmind", "poll"): "segmind.status",
    ("segmind", "result"): "segmind.result",
    ("segmind", "download"): "files",
    ("segmind-v1", "submit"): "segmind.v1",
    ("aimlapi", "submit"): "aimlapi.submit",
    ("aimlapi", "poll"): "aimlapi.poll",
    ("aimlapi", "download"): "files",
    ("minimax", "submit"): "minimax.submit",
    ("minimax", "poll"): "minimax.query",
    ("minimax", "result"): "minimax.retrieve",
    ("minimax", "download"): "files",
    ("fal", "submit"): "fal.submit",
    ("fal", "poll"): "fal.status",
    ("fal", "result"): "fal.result",
    ("fal", "download"): "files",
    ("replicate", "submit"): "replicate.create",
    ("replicate", "poll"): "replicate.get",
    ("replicate", "download"): "files",
}
SUBMIT_ROUTE = {
    "segmind": "POST /segmind/v2/{slug}",
    "segmind-v1": "POST /segmind/v1/{slug}",
    "aimlapi": "POST /aimlapi/v2/video/generations",
    "minimax": "POST /minimax/v1/video_generation",
    "fal": "POST /fal/{endpoint:path}",
    "replicate": "POST /replicate/v1/models/{owner}/{name}/predictions",
}
MOUNT = {
    "segmind": "segmind",
    "segmind-v1": "segmind",
    "aimlapi": "aimlapi",
    "minimax": "minimax",
    "fal": "fal",
    "replicate": "replicate",
}
# What a create answers when it is taken (Replicate says 201 Created).
ACCEPTED = {"replicate": "201"}
# The emulator's prompt markers (EmulatorConfig defaults) that make a job fail.
BLOCK, BLOCK_OUTPUT = "[[block]]", "[[block-output]]"
HTTP_FAULTS = ("429", "500", "502", "504", "drop", "slow", "malformed")
# How long each provider keeps a video URL usable (seconds of emulator clock).
# fal's files live 7 days by default; Replicate deletes an output an hour after the end.
URL_LIFETIME = {
    "segmind": 7 * 86400,
    "aimlapi": 3600,
    "minimax": 3600,
    "fal": 7 * 86400,
    "replicate": 3600,
}
# A MiniMax Fail with base_resp code 0: what the user reads, per answer form.
NO_REASON = "MiniMax reports the task failed (no reason given)"
FAIL_CODE_0 = {
    "zero": NO_REASON,
    "zero_msg": "MiniMax reports the task failed: output new_sensitive",
    "zero_field": "MiniMax reports the task failed: output new_sensitive",
}
# Faults that are not injected: scenarios, or variants of the emulator's configuration.
NOT_INJECTED = ("expired", "failed", "failed-output", "1026", "1027", "fail-code-0", "v1-answer")


def _cases() -> list[Case]:
    cases: list[Case] = []
    for provider in ("segmind", "aimlapi", "minimax", "fal", "replicate"):
        # Submit: only a 429 (or MiniMax's 1002) proves the job was not taken.
        for fault in HTTP_FAULTS:
            if fault == "429":
                cases.append(Case(provider, "submit", fault, "completed"))
            else:
                # The emulator applies these before creating the job, except "slow" (the
                # answer is held after acceptance, past the client's timeout).
                created = 1 if fault == "slow" else 0
                cases.append(Case(provider, "submit", fault, "uncertain", created))
        cases.append(Case(provider, "submit", "drop-after", "uncertain", 1))
        for phase in ("poll", "result", "download"):
            if (provider, phase) not in ENDPOINT:
                continue  # AI/ML has no separate result call: the poll carries the URL
            cases.extend(Case(provider, phase, fault, "completed") for fault in HTTP_FAULTS)
        # MiniMax keeps the file and signs a fresh URL on request: a resume saves it.
        refreshed = "completed" if provider == "minimax" else "url-expired"
        cases.append(Case(provider, "download", "expired", refreshed))
    cases += [
        Case("segmind", "poll", "expired", "history"),
        Case("segmind", "poll", "failed", "failed"),  # FAILED, HTTP 422, blocked prompt
        Case("segmind", "poll", "failed-output", "failed"),  # FAILED 422 after processing
        Case("aimlapi", "poll", "failed", "failed"),  # status "error", moderation
        Case("aimlapi", "poll", "failed-output", "failed"),
        Case("minimax", "submit", "1002", "completed"),
        Case("minimax", "poll", "1002", "completed"),
        Case("minimax", "result", "1002", "completed"),
        Case("minimax", "submit", "1026", "refused", 0),
        Case("minimax", "poll", "1027", "failed"),
        # fal: a refused prompt is accepted, then COMPLETED with a 422 result (content
        # policy), not billed; a sensitive output likewise at the end of its run.
        Case("fal", "result", "failed", "failed"),
        Case("fal", "result", "failed-output", "failed"),
        # Replicate: the prediction ends "failed" with its error.
        Case("replicate", "poll", "failed", "failed"),
        Case("replicate", "poll", "failed-output", "failed"),
    ]
    # A Fail whose base_resp is code 0 (the official query schema has no error field).
    cases += [
        Case(
            "minimax",
            "poll",
            "fail-code-0",
            "failed",
            variant=style,
            config=(("minimax_fail_style", style),),
        )
        for style in FAIL_CODE_0
    ]
    # Segmind's 406 has several meanings; each is refused before anything is created.
    cases += [
        Case(provider, "submit", "406", "refused", 0, variant=kind.removeprefix("406_"))
        for provider in ("segmind", "segmind-v1")
        for kind in SEGMIND_406
    ]
    # Segmind v1: one blocking call that answers the video; only the submit phase exists.
    for fault in HTTP_FAULTS:
        if fault in ("429", "slow"):
            # v1 waits up to 15 min for the video by design: a slow answer is just slow.
            cases.append(Case("segmind-v1", "submit", fault, "completed"))
        else:
            # Includes "malformed": a 200 JSON body instead of the video is not saved as
            # the video, and the job may exist, so it is not sent again.
            cases.append(Case("segmind-v1", "submit", fault, "uncertain", 0))
    cases += [
        Case("segmind-v1", "submit", "drop-after", "uncertain", 1),
        Case("segmind-v1", "submit", "failed", "failed"),
        Case("segmind-v1", "submit", "failed-output", "failed"),
        # What else v1 may answer: the bytes as application/octet-stream, JSON with the
        # output URL (downloaded), JSON with an error (a blocked prompt), or an HTML page
        # once the job ran (never saved).
        Case(
            "segmind-v1",
            "submit",
            "v1-answer",
            "completed",
            variant="octet",
            config=(("segmind_v1_answer", "octet"),),
        ),
        Case("segmind-v1", "submit", "v1-answer", "completed", variant="json", config=_JSON),
        Case("segmind-v1", "submit", "v1-answer", "failed", variant="json-error", config=_JSON),
        Case(
            "segmind-v1",
            "submit",
            "v1-answer",
            "uncertain",
            1,
            variant="html",
            config=(("segmind_v1_answer", "html"),),
        ),
    ]
    return cases


_JSON = (("segmind_v1_answer", "json"),)


CASES = _cases()


@pytest.fixture(scope="module")
def servers() -> Iterator[Callable[[Case], str]]:
    """One emulator server per configuration the cases need, started on first use and kept
    for the module; each case resets its server."""
    with contextlib.ExitStack() as stack:
        started: dict[tuple[tuple[str, str], ...], str] = {}

        def for_case(case: Case) -> str:
            if case.config not in started:
                config = EmulatorConfig(
                    time_scale=2000.0,
                    preview=True,
                    seed=99,
                    slow_seconds=SLOW_S,
                    **dict(case.config),
                )
                started[case.config] = stack.enter_context(serve_in_thread(create_app(config)))
            return started[case.config]

        yield for_case


@pytest.fixture(scope="module")
def server(servers: Callable[[Case], str]) -> str:
    """The emulator with its default configuration."""
    return servers(Case("segmind", "submit", "none", "completed"))


# case id -> (lost, paid twice): read by conftest.py for the report.
PROMISE: dict[str, tuple[int, int]] = {}


def make_client(base: str, case: Case, out: Path, reuse: str | None = None) -> Client:
    settings: dict[str, Any] = {"poll_min_interval": 0.01, "poll_max_interval": 0.1}
    if case.fault == "slow":
        settings["request_timeout"] = TIMEOUT_S
    return Client(
        "segmind" if case.provider == "segmind-v1" else case.provider,
        base_url=f"{base}/{MOUNT[case.provider]}",
        api_key=f"test-key-{case.provider}-0123456789",
        output_dir=out,
        requests_per_minute=60_000,
        segmind_api="v1" if case.provider == "segmind-v1" else "v2",
        settings=settings,
        environ={},
        # Retries in milliseconds (the emulator's 429 asks for 60 s; capped by max_pause).
        retry=Retry(attempts=4, max_pause=0.05, backoff=Backoff(base=0.01, cap=0.05)),
        reuse=reuse,
    )


def inject(base: str, case: Case) -> None:
    kind = case.kind
    if kind.startswith("406_"):
        # A refusal: once is enough (it is never retried, and the re-run must get through).
        set_faults(
            base, {"endpoint": ENDPOINT[case.provider, case.phase], "kind": kind, "times": 1}
        )
    if kind in (*HTTP_FAULTS, "drop_after", "1002"):
        # Twice in a row where a retry is safe (a retry must survive a second fault too).
        times = 1 if case.phase == "submit" and kind != "429" else 2
        if kind == "slow":
            times = 1
        set_faults(
            base, {"endpoint": ENDPOINT[case.provider, case.phase], "kind": kind, "times": times}
        )


def prompt_for(case: Case) -> str:
    marker = {
        "failed": BLOCK,
        "1026": BLOCK,
        "failed-output": BLOCK_OUTPUT,
        "1027": BLOCK_OUTPUT,
        "fail-code-0": BLOCK_OUTPUT,
    }.get(case.fault, "")
    if case.variant == "json-error":
        marker = BLOCK
    return f"a red fox in the snow {marker}".strip()


def assert_mp4(path: str | None) -> None:
    assert path, "no video path"
    data = Path(path).read_bytes()
    assert len(data) > 1000 and data[4:8] == b"ftyp", f"not an MP4: {data[:40]!r}"


async def run_case(base: str, case: Case, out: Path) -> dict[str, Any]:
    """Run one job under the case's fault; return what happened, for the assertions."""
    seen: dict[str, Any] = {"error": None, "job": None, "stored": None, "history": []}
    async with make_client(base, case, out) as client:
        if case.fault == "expired":
            return await _expired(base, case, out, client, seen)
        try:
            job = await client.submit(prompt_for(case))
            seen["job"] = job
            seen["job"] = await client.wait(job, timeout=30)
        except Exception as exc:
            seen["error"] = exc
        job_id = seen["job"].id if seen["job"] is not None else None
        seen["stored"] = client.get(job_id) if job_id else None
        seen["history"] = client.history()
    return seen


async def _expired(
    base: str, case: Case, out: Path, first: Client, seen: dict[str, Any]
) -> dict[str, Any]:
    if case.phase == "poll":
        job = await first.submit(prompt_for(case))
        await first.aclose()  # stop following: the job is only in the store now
        advance_clock(base, 3700)  # past Segmind's one-hour retention
        age_in_store(first, job.id, 3700)  # and the same hour on the client's clock
    else:
        # The download fails until the URL is past its lifetime, then a resume tries again.
        ep = ENDPOINT[case.provider, "download"]
        set_faults(base, {"endpoint": ep, "kind": "502", "times": 4})
        job = await first.submit(prompt_for(case))
        with pytest.raises(NetworkError, match="download failed"):
            await first.wait(job, timeout=30)
        advance_clock(base, URL_LIFETIME[case.provider] + 60)
    async with make_client(base, case, out) as second:
        try:
            seen["job"] = await second.resume(job.id)
        except Exception as exc:
            seen["error"] = exc
        seen["stored"] = second.get(job.id)
        seen["history"] = second.history()
    return seen


def age_in_store(client: Client, job_id: str, seconds: float) -> None:
    """Make a stored job older, as the passing of real time would (the clock jump's twin)."""
    with client.store.connect() as conn:
        conn.execute(
            "UPDATE jobs SET submitted_at = submitted_at - ? WHERE id = ?", (seconds, job_id)
        )


async def keep_promise(server: str, case: Case, out: Path) -> tuple[int, int]:
    """(lost, paid twice) for the case just run: reconcile, look, then Run All again."""
    accepted = set(stats(server)["jobs"])
    async with make_client(server, case, out) as client:
        if client.journal.unresolved():
            await asyncio.sleep(0.1)  # the history's listing grace, on the emulator's clock
            await client.reconcile()
        history = client.history()
    named = {j.id for j in history}
    # A Segmind v1 job is named by us before sending (the answer is the video): its row
    # stands for the job the server made.
    standing = sum(
        1 for j in history if j.status == "uncertain" or (j.id.startswith("v1-") and j.done)
    )
    lost = max(0, len(accepted - named) - standing)
    if case.expect != "url-expired":  # the video is gone at the provider too: pay again
        async with make_client(server, case, out, reuse="always") as again:
            # A refusal or an uncertain earlier submit may raise: what counts is below.
            with contextlib.suppress(Exception):
                await again.wait(await again.submit(prompt_for(case)), timeout=30)
    billable = [j for j in stats(server)["jobs"].values() if j["status"] not in ("failed",)]
    return lost, max(0, len(billable) - 1)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_fault(servers: Callable[[Case], str], case: Case, tmp_path: Path) -> None:
    server = servers(case)
    httpx.post(f"{server}/__emulator__/reset").raise_for_status()
    inject(server, case)
    seen = await run_case(server, case, tmp_path / "out")
    if case.fault == "slow":
        # The server counts a held answer only when it is sent, after the client gave up.
        await asyncio.sleep(SLOW_S + 0.3)
    st = stats(server)
    error, job, stored = seen["error"], seen["job"], seen["stored"]
    sent = sum(st["requests"].get(SUBMIT_ROUTE[case.provider], {}).values())

    if case.expect == "completed":
        assert error is None, f"{type(error).__name__}: {error}"
        assert job.status == "completed" and job.error is None
        assert_mp4(job.video_path)
        assert stored is not None and stored.status == "completed"
        assert stored.video_path == job.video_path
        files = st["requests"].get("GET /files/{provider}/{name}", {})
        if case.variant == "json":  # read as JSON, then the video fetched from its URL
            assert files == {"200": 1}
        elif case.provider == "segmind-v1":  # the answer itself was the video
            assert files == {}
    elif case.expect == "uncertain":
        assert isinstance(error, SubmitUncertain) and "NOT resubmitted" in str(error), repr(error)
        assert sent == 1, f"the submit was sent {sent} times"
        # The journal kept it: one uncertain submit, named in the error.
        [row] = seen["history"]
        assert row.status == "uncertain", row
        if case.provider == "segmind-v1":
            # v1 names the job itself before sending: it is stored, with the reason.
            assert "NOT resubmitted" in (row.error or "")
        else:
            assert error.ref == row.id and "reconcile" in str(error)
    elif case.expect == "failed":
        assert isinstance(error, JobFailed), repr(error)
        assert error.job_id == job.id
        assert stored is not None and stored.status == "failed"
        if case.fault == "fail-code-0":
            # Never "success" as a failure's reason; the server's words when it gives any.
            assert error.reason == stored.error == FAIL_CODE_0[case.variant]
        else:
            assert "sensitive" in error.reason and "sensitive" in (stored.error or "")
        if case.fault == "1027":
            assert "1027" in error.reason
        if case.variant == "json-error":  # the error came as a 200 JSON body, not a 400
            assert st["requests"][SUBMIT_ROUTE[case.provider]] == {"200": 1}
    elif case.expect == "refused" and case.fault == "406":
        # The server's own words, whatever the 406 means; "credits" only when it says so.
        words = SEGMIND_406[case.kind]
        assert isinstance(error, ProviderError) and error.status_code == 406, repr(error)
        assert error.message == words
        assert isinstance(error, InsufficientCredits) is ("credit" in words.lower())
        assert sent == 1, f"the submit was sent {sent} times"
        if case.provider == "segmind-v1":
            [row] = seen["history"]  # v1 names the job before sending: it ends failed
            assert row.status == "failed" and words in (row.error or "")
        else:
            assert seen["history"] == []
    elif case.expect == "refused":
        assert isinstance(error, ProviderError) and error.code == 1026, repr(error)
        assert seen["history"] == []
    elif case.expect == "history":
        assert error is None, f"{type(error).__name__}: {error}"
        assert job.status == "completed" and job.cost is not None and not job.cost.estimated
        assert_mp4(job.video_path)
        assert stored is not None and stored.status == "completed"
    elif case.expect == "url-expired":
        assert isinstance(error, NetworkError) and "expired" in str(error), repr(error)
        assert stored is not None and stored.status == "completed"
        assert stored.video_path is None and "expired" in (stored.error or "")
        assert not list((tmp_path / "out").glob("*.mp4"))
    else:  # pragma: no cover
        raise AssertionError(case.expect)

    # Billable jobs created: exactly the expected number, whatever retries happened.
    assert st["submissions"]["total"] == case.created, st["submissions"]
    lost, twice = PROMISE[case.id] = await keep_promise(server, case, tmp_path / "out")
    assert (lost, twice) == (0, 0), f"lost {lost}, paid twice {twice}"
    if case.expect == "completed" and case.provider != "minimax":
        # Accepted once (MiniMax answers its in-band refusals with 200 too).
        assert (
            st["requests"][SUBMIT_ROUTE[case.provider]].get(ACCEPTED.get(case.provider, "200")) == 1
        )
    # The fault really fired (a case whose fault never happened proves nothing).
    if case.fault not in NOT_INJECTED:
        assert st["faults_injected"].get(f"{ENDPOINT[case.provider, case.phase]}:{case.kind}")


async def test_uncertain_v1_job_ends_in_the_store(server: str, tmp_path: Path) -> None:
    httpx.post(f"{server}/__emulator__/reset").raise_for_status()
    case = Case("segmind-v1", "submit", "502", "uncertain", 0)
    inject(server, case)
    seen = await run_case(server, case, tmp_path / "out")
    assert seen["stored"] is not None and seen["stored"].status == "uncertain"
