"""Reconciliation: find at the provider what became of submits whose answer was lost.

An ``uncertain`` submit (see :mod:`hailuo_nb.journal`) may have been accepted and billed.
Where the provider keeps a request history we can read (Segmind's, see
:mod:`hailuo_nb.providers.segmind_history`) or lists the account's jobs (Replicate's
predictions, :class:`~hailuo_nb.providers.WithListing`), it is looked up by model, time
and request body; where it lists recent tasks by their shape only (MiniMax V2,
:class:`~hailuo_nb.providers.WithTaskList`), a task is taken only when it is the one
unclaimed task of that model and settings made around the submit:

- found: the row becomes the provider's job (its real status, video URL and billed cost),
  and the client follows it (its video is saved);
- absent from a history that should list it by now: it was not accepted; it is dismissed
  (``failed``, costing nothing) and an identical request may be sent again;
- not listed yet (a very recent submit): left as it is, try again in a minute.

A provider without such a history says so honestly: the user checks the dashboard and
dismisses the submit by name, or pays again on purpose (``new=True``).

Example (inside a coroutine)::

    for outcome in await client.reconcile():
        print(outcome.line)
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import catalog
from .errors import HailuoError, ValidationError
from .http import Http
from .journal import Journal, match_form
from .models import Job
from .polling import apply_update
from .providers import Adapter, WithHistory, WithListing, WithTaskList
from .providers.segmind_history import PER_PAGE, HistoryRow, parse_page

__all__ = ["LISTING_GRACE", "Lookup", "Reconciled", "best_match", "matches", "reconcile"]

LISTING_GRACE = 120.0
"""Seconds a request may take to appear in a provider's history before its absence counts.

Example:
    >>> LISTING_GRACE
    120.0
"""
_MAX_PAGES = 10


@dataclass(frozen=True)
class Reconciled:
    """What reconciliation found for one uncertain submit: a line to show, and the job.

    ``job`` is the provider's job when it was found (being followed), else None.

    Example:
        >>> Reconciled("submit-ab12", "submit-ab12: not accepted", None).job is None
        True
    """

    ref: str
    line: str
    job: Job | None = None


@dataclass(frozen=True)
class Lookup:
    """What reconciliation needs of a client: its journal, HTTP layer and adapters.

    Example (inside the client)::

        Lookup(self.journal, self.http, self.adapter_for, self.settings.provider)
    """

    journal: Journal
    http: Http
    adapter_for: Callable[[Job], Adapter]
    provider: str
    scale: float = 1.0  # the emulator's clock runs this much faster than ours


async def reconcile(client: Lookup, dismiss: str | None = None) -> list[Reconciled]:
    """Look up every uncertain submit of ``client``'s provider (see the module).

    Example (inside a coroutine)::

        outcomes = await reconcile(Lookup(journal, http, adapter_for, "segmind"))
    """
    journal, out = client.journal, []
    if dismiss:
        done = journal.dismiss(
            dismiss, "dismissed: checked by the user, the provider did not accept it"
        )
        if not done:
            raise ValidationError("dismiss", f"no uncertain submit {dismiss!r} in the job store")
        out.append(Reconciled(dismiss, f"{dismiss}: dismissed (it costs nothing)"))
    for job, request in journal.unresolved(client.provider):
        if job.id == dismiss:
            continue
        out.append(await _one(client, job, request))
    return out


async def _one(client: Lookup, job: Job, request: dict[str, Any]) -> Reconciled:
    adapter = client.adapter_for(job)
    if isinstance(adapter, WithListing):
        return await _listed(client, adapter, job, request)
    if isinstance(adapter, WithTaskList):
        return await _by_task_list(client, adapter, job, request)
    if not isinstance(adapter, WithHistory):
        return Reconciled(
            job.id,
            f"{job.id}: {job.provider} keeps no request history this kit can read, so it"
            " cannot be looked up: check the provider's dashboard, then dismiss it (reconcile"
            f" --dismiss {job.id}) or pay again on purpose (--new)",
        )
    try:
        rows = await _rows(client, adapter, job)
    except HailuoError as exc:
        return Reconciled(job.id, f"{job.id}: the request history could not be read ({exc})")
    taken = {j.id for j in client.journal.store.history() if j.provider == job.provider}
    found = best_match(rows, request, job, taken)
    if found is not None:
        real = dataclasses.replace(job, id=found.request_id, status="queued", error=None)
        real = apply_update(real, found.update(), now=time.time())
        client.journal.resolve(job.id, real)
        return Reconciled(job.id, f"{job.id}: found, it is job {real.id} ({real.status})", real)
    if time.time() - (job.submitted_at or 0.0) < LISTING_GRACE / client.scale:
        return Reconciled(
            job.id, f"{job.id}: not in {job.provider}'s history yet; try again in a minute"
        )
    client.journal.dismiss(
        job.id, f"not accepted: {job.provider}'s request history has no such request"
    )
    return Reconciled(
        job.id, f"{job.id}: not accepted ({job.provider}'s history has no such request)"
    )


async def _listed(
    client: Lookup, adapter: WithListing, job: Job, request: dict[str, Any]
) -> Reconciled:
    """Look for the submit in the provider's list of jobs (Replicate's predictions).

    The list is newest first: pages are read until one reaches back before the submit.
    A job of the same model from that time whose inputs the provider no longer keeps (it
    deletes them an hour after the end) could be this one: then nothing is dismissed.
    """
    wire = catalog.get_model(job.provider, job.model).wire_name
    start = (job.submitted_at or time.time()) - LISTING_GRACE
    rows: list[HistoryRow] = []
    cursor: str | None = None
    try:
        for _ in range(_MAX_PAGES):
            batch, cursor = await client.http.call(
                adapter.list_request(cursor), adapter.parse_list, idempotent=True
            )
            rows += [r for r in batch if r.model in ("", wire)]
            oldest = min((r.created_at for r in batch if r.created_at is not None), default=None)
            if cursor is None or (oldest is not None and oldest < start):
                break
    except HailuoError as exc:
        return Reconciled(job.id, f"{job.id}: the list of jobs could not be read ({exc})")
    return _settle(client, job, request, rows)


def _settle(
    client: Lookup, job: Job, request: dict[str, Any], rows: list[HistoryRow]
) -> Reconciled:
    taken = {j.id for j in client.journal.store.history() if j.provider == job.provider}
    found = best_match(rows, request, job, taken)
    if found is not None:
        real = dataclasses.replace(job, id=found.request_id, status="queued", error=None)
        real = apply_update(real, found.update(), now=time.time())
        client.journal.resolve(job.id, real)
        return Reconciled(job.id, f"{job.id}: found, it is job {real.id} ({real.status})", real)
    start = (job.submitted_at or 0.0) - LISTING_GRACE
    blind = [
        r
        for r in rows
        if not r.request_body
        and r.request_id not in taken
        and (r.created_at is None or r.created_at >= start)
    ]
    if blind:
        return Reconciled(
            job.id,
            f"{job.id}: {job.provider} no longer keeps the inputs of {len(blind)} job(s) from"
            f" that time ({', '.join(r.request_id for r in blind[:3])}), so it cannot be told"
            f" apart: check the dashboard, then dismiss it (reconcile --dismiss {job.id})",
        )
    if time.time() - (job.submitted_at or 0.0) < LISTING_GRACE / client.scale:
        return Reconciled(
            job.id, f"{job.id}: not in {job.provider}'s list yet; try again in a minute"
        )
    client.journal.dismiss(job.id, f"not accepted: {job.provider} lists no such request")
    return Reconciled(job.id, f"{job.id}: not accepted ({job.provider} lists no such request)")
async def _by_task_list(
    client: Lookup, adapter: WithTaskList, job: Job, request: dict[str, Any]
) -> Reconciled:
    """Find an uncertain submit in a task list that echoes only the request's shape.

    A task of the same model, resolution and duration created around the submit, not yet
    any job of ours, is it **only when it is the only one**: with several, guessing could
    follow someone else's video, so the user is asked to check the dashboard.
    """
    start = (job.submitted_at or time.time()) - 120.0  # two clocks may disagree a little
    rows: list[HistoryRow] = []
    try:
        for page in range(1, _MAX_PAGES + 1):
            batch = await client.http.call(
                adapter.task_list_request(page), adapter.parse_task_list, idempotent=True
            )
            rows += batch
            if len(batch) < adapter.list_page_size or any(
                (r.created_at or 0.0) < start for r in batch
            ):
                break  # newest first: older pages cannot hold it
    except HailuoError as exc:
        return Reconciled(job.id, f"{job.id}: the task list could not be read ({exc})")
    taken = {j.id for j in client.journal.store.history() if j.provider == job.provider}
    sent = match_form(request)
    found = [
        r
        for r in rows
        if r.request_id not in taken
        and (r.created_at is None or r.created_at >= start)
        and all(_text(sent.get(k)) == _text(v) for k, v in r.request_body.items())
    ]
    if len(found) == 1:
        real = dataclasses.replace(job, id=found[0].request_id, status="queued", error=None)
        real = apply_update(real, found[0].update(), now=time.time())
        client.journal.resolve(job.id, real)
        return Reconciled(job.id, f"{job.id}: found, it is job {real.id} ({real.status})", real)
    if found:
        ids = ", ".join(r.request_id for r in found[:5])
        return Reconciled(
            job.id,
            f"{job.id}: {len(found)} tasks of the same model and settings were created then"
            f" ({ids}); the list does not say which is this one: check the dashboard",
        )
    if time.time() - (job.submitted_at or 0.0) < LISTING_GRACE / client.scale:
        return Reconciled(
            job.id, f"{job.id}: not in {job.provider}'s task list yet; try again in a minute"
        )
    client.journal.dismiss(job.id, f"not accepted: {job.provider}'s task list has no such task")
    return Reconciled(
        job.id, f"{job.id}: not accepted ({job.provider}'s task list has no such task)"
    )


async def _rows(client: Lookup, adapter: WithHistory, job: Job) -> list[HistoryRow]:
    spec = catalog.get_model(job.provider, job.model)
    since = (job.submitted_at or time.time()) - 86400.0  # whole UTC days: take the day before
    rows: list[HistoryRow] = []
    for page in range(1, _MAX_PAGES + 1):
        request = adapter.history_page(since, time.time(), spec.wire_name, page)
        batch = await client.http.call(request, parse_page, idempotent=True)
        rows += batch
        if len(batch) < PER_PAGE:
            break
    return rows


def best_match(
    rows: list[HistoryRow], request: dict[str, Any], job: Job, taken: set[str]
) -> HistoryRow | None:
    """The history row that is this submit: same inputs, the closest in time after it.

    Example:
        >>> job = Job(id="submit-1", provider="segmind", model="hailuo-2.3", submitted_at=100.0)
        >>> rows = [HistoryRow("r1", "completed", created_at=101.0,
        ...                    request_body={"prompt": "a fox", "duration": 6})]
        >>> best_match(rows, {"prompt": "a fox", "duration": 6}, job, set()).request_id
        'r1'
    """
    start = (job.submitted_at or 0.0) - 120.0  # two clocks: allow them to disagree a little
    candidates = [
        r
        for r in rows
        if r.request_id not in taken
        and (r.created_at is None or r.created_at >= start)
        and matches(request, r.request_body)
    ]
    candidates.sort(key=lambda r: abs((r.created_at or start) - (job.submitted_at or 0.0)))
    return candidates[0] if candidates else None


def matches(sent: dict[str, Any], listed: dict[str, Any]) -> bool:
    """Whether a history row's inputs are what we sent (the server may add defaults).

    Values compare by their JSON text, so ``6`` and ``"6"`` agree.

    Example:
        >>> matches({"prompt": "a", "duration": 6}, {"prompt": "a", "duration": "6", "x": 1})
        True
        >>> matches({"prompt": "a"}, {"prompt": "b"})
        False
    """
    if not sent:
        return False
    theirs = match_form(listed)
    for key, value in match_form(sent).items():
        if key not in theirs or _text(theirs[key]) != _text(value):
            return False
    return True


def _text(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text[1:-1] if text.startswith('"') else text
