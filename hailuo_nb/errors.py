"""The error tree of hailuo_nb, drawn once.

::

    HailuoError                      root: catch this to catch everything we raise
    ├── ValidationError (ValueError) bad input, found before any request is sent
    ├── BudgetExceeded               the submission would pass the user's budget
    ├── ProviderError                the provider answered with an error
    │   ├── AuthError                401 / MiniMax 1004, 2049
    │   ├── InsufficientCredits      Segmind 402/406, AI/ML 403, MiniMax 1008
    │   ├── RateLimited              429 / MiniMax 1002 (``retry_at`` when known)
    │   ├── NotFound                 unknown or expired request id (404)
    │   ├── MalformedResponse        a 2xx answer we cannot read: transient
    │   └── ServiceError             a 5xx said in-band (MiniMax 1000, 1001, 1013): transient
    ├── JobFailed                    the remote job ended FAILED; ``reason`` is the server's
    ├── NetworkError                 could not reach the provider (``job_id`` when one exists,
    │                                so the job can be resumed)
    ├── SubmitUncertain              the submit may have reached the server: the job may
    │                                exist (and be billed); it was NOT sent again
    ├── SubmitInterrupted            an interrupt arrived during a submit: what became of it
    ├── PossiblyPaid                 an identical earlier submit's outcome is unknown: not
    │                                sent again until it is reconciled (or ``new=True``)
    ├── StoreError                   the job store cannot be written (the job id, if any)
    └── DownloadError                the video could not be saved (``transient``, ``gone``)

    StoppedWaiting (not a HailuoError: the user's own interrupt of a blocking wait)

Every error carries enough context to act on and never the API key. :func:`transient`
is the one rule every retry loop uses to decide whether asking again may help.

Example:
    >>> try:
    ...     raise ValidationError("duration", "must be 6 or 10, got 7")
    ... except HailuoError as e:
    ...     print(e)
    duration: must be 6 or 10, got 7
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "BudgetExceeded",
    "DownloadError",
    "HailuoError",
    "InsufficientCredits",
    "JobFailed",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "PossiblyPaid",
    "ProviderError",
    "RateLimited",
    "ServiceError",
    "StoppedWaiting",
    "StoreError",
    "SubmitInterrupted",
    "SubmitUncertain",
    "TileError",
    "ValidationError",
    "transient",
]


class HailuoError(Exception):
    """Root of every error raised by hailuo_nb.

    Example:
        >>> isinstance(ValidationError("x", "bad"), HailuoError)
        True
    """


class ValidationError(HailuoError, ValueError):
    """Bad input caught before any request: one line naming the field and what is allowed.

    Example:
        >>> str(ValidationError("resolution", "must be one of 768p, 1080p"))
        'resolution: must be one of 768p, 1080p'
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class TileError(ValidationError):
    """A tile of a comparison plan is invalid; nothing was sent. One line naming tile and field.

    Example:
        >>> str(TileError(3, "an owl · 10 s", ValidationError("duration", "not allowed")))
        'tile 3 (an owl · 10 s): duration: not allowed'
    """

    def __init__(self, tile: int, label: str, error: ValidationError) -> None:
        super().__init__(error.field, error.message)
        self.tile = tile
        self.args = (f"tile {tile} ({label}): {error}",)

    def __str__(self) -> str:
        return str(self.args[0])


class BudgetExceeded(HailuoError):
    """The estimated cost would pass the configured budget; nothing was sent.

    Example:
        >>> str(BudgetExceeded(0.7, 0.5, 0.0))
        'estimated cost $0.70 would pass the budget of $0.50 ($0.00 already spent)'
    """

    def __init__(self, estimate_usd: float, budget_usd: float, spent_usd: float) -> None:
        self.estimate_usd = estimate_usd
        self.budget_usd = budget_usd
        self.spent_usd = spent_usd
        super().__init__(
            f"estimated cost ${estimate_usd:.2f} would pass the budget of ${budget_usd:.2f}"
            f" (${spent_usd:.2f} already spent)"
        )


class ProviderError(HailuoError):
    """The provider answered with an error.

    Example:
        >>> e = ProviderError("bad things", provider="segmind", status_code=400)
        >>> str(e)
        'segmind: HTTP 400: bad things'
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        request_id: str | None = None,
        code: int | None = None,
        body: Any = None,
    ) -> None:
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.request_id = request_id
        self.code = code  # provider's own code, e.g. MiniMax base_resp.status_code
        self.body = body
        where = f"HTTP {status_code}" if status_code is not None else "error"
        if code is not None:
            where += f" (code {code})"
        super().__init__(f"{provider}: {where}: {message}")


class AuthError(ProviderError):
    """The API key is missing or refused (HTTP 401, MiniMax 1004/2049).

    Example:
        >>> AuthError("Invalid API key", provider="segmind", status_code=401).status_code
        401
    """


class InsufficientCredits(ProviderError):
    """The account cannot pay for the job (Segmind 402/406, AI/ML 403, MiniMax 1008).

    Example:
        >>> InsufficientCredits("no credits", provider="aimlapi", status_code=403).provider
        'aimlapi'
    """


class RateLimited(ProviderError):
    """Too many requests (HTTP 429, MiniMax 1002); ``retry_at`` is a UNIX time when known.

    Example:
        >>> RateLimited("slow down", provider="segmind", status_code=429, retry_at=0.0).retry_at
        0.0
    """

    def __init__(self, message: str, *, retry_at: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_at = retry_at


class NotFound(ProviderError):
    """The provider does not know the id (unknown, or past its retention window).

    Example:
        >>> NotFound("Request abc not found", provider="segmind", status_code=404).status_code
        404
    """


class MalformedResponse(ProviderError):
    """A 2xx answer we cannot read (broken JSON, missing fields): transient, worth a retry.

    Example:
        >>> MalformedResponse("not JSON", provider="segmind", status_code=200).status_code
        200
    """


class ServiceError(ProviderError):
    """The provider says, inside a 2xx answer, that it failed on its side: "try again".

    MiniMax answers HTTP 200 with ``base_resp`` 1000 (unknown error), 1001 (timeout) or
    1013 (internal service error) where others send a 5xx: transient, like a 5xx.

    Example:
        >>> transient(ServiceError("unknown error", provider="minimax", code=1000))
        True
    """


class JobFailed(HailuoError):
    """The remote job ended in failure; ``reason`` is the server's own words.

    Example:
        >>> str(JobFailed("abc123", "content blocked", provider="segmind"))
        'job abc123 failed on segmind: content blocked'
    """

    def __init__(self, job_id: str, reason: str, *, provider: str) -> None:
        self.job_id = job_id
        self.reason = reason
        self.provider = provider
        super().__init__(f"job {job_id} failed on {provider}: {reason}")


class NetworkError(HailuoError):
    """The provider could not be reached (after retries where retrying was safe).

    ``job_id`` is set when a job exists, so that ``resume(job_id)`` can finish it.

    Example:
        >>> str(NetworkError("connection refused", job_id="abc"))
        'connection refused (job abc is saved: resume it with resume("abc"))'
    """

    def __init__(self, message: str, *, job_id: str | None = None) -> None:
        self.message = message
        self.job_id = job_id
        text = message
        if job_id:
            text += f' (job {job_id} is saved: resume it with resume("{job_id}"))'
        super().__init__(text)


class SubmitUncertain(HailuoError):
    """A submit failed after it may have reached the server: the job may exist.

    The opposite of a :class:`NetworkError`: the request probably *did* reach the
    provider. It was deliberately not sent again (that could pay for a second video).
    ``ref`` is the job store's name for the submit (``submit-…``, status ``uncertain``),
    which reconciliation looks for at the provider.

    Example:
        >>> str(SubmitUncertain("segmind", "read timeout"))[:60]
        'segmind: the submit failed after it was sent (read timeout):'
        >>> isinstance(SubmitUncertain("segmind", "x"), NetworkError)
        False
    """

    def __init__(self, provider: str, cause: str, *, ref: str | None = None) -> None:
        where = (
            f"; it is recorded as {ref}: reconcile looks for it"
            if ref
            else "; check the provider's dashboard before trying again"
        )
        super().__init__(
            f"{provider}: the submit failed after it was sent ({cause}): the job may have been"
            f" created (and billed) and was NOT resubmitted, to avoid paying twice{where}"
        )
        self.provider = provider
        self.cause = cause
        self.ref = ref


class SubmitInterrupted(HailuoError):
    """An interrupt (Ctrl-C, Interrupt Kernel, a cancelled task) arrived during a submit.

    The submit was not abandoned blindly: a request still waiting to leave was dropped
    (``sent`` False: nothing paid); one in flight was given a bounded time to answer, and
    its job recorded (``job_id``). When no answer came, the submit is recorded as
    ``uncertain`` under ``ref``. ``resumable`` is False for a job nothing can follow
    (Segmind v1).

    Example:
        >>> str(SubmitInterrupted("segmind", sent=False))
        'interrupted before the request was sent to segmind: nothing was paid'
        >>> str(SubmitInterrupted("segmind", sent=True, job_id="ab12"))
        'interrupted after segmind accepted job ab12; it is saved: resume ab12'
    """

    def __init__(
        self,
        provider: str,
        *,
        sent: bool,
        job_id: str | None = None,
        ref: str | None = None,
        resumable: bool = True,
    ) -> None:
        self.provider, self.sent, self.job_id, self.ref = provider, sent, job_id, ref
        self.resumable = resumable
        if not sent:
            text = f"interrupted before the request was sent to {provider}: nothing was paid"
        elif job_id and resumable:
            text = (
                f"interrupted after {provider} accepted job {job_id}; it is saved: resume {job_id}"
            )
        elif job_id:
            text = (
                f"interrupted during {provider} job {job_id}, which cannot be resumed (its"
                " answer was the video itself): it may have been billed; reconcile looks for it"
            )
        else:
            text = (
                f"interrupted with the request in flight and no answer from {provider}: it may"
                f" have been accepted (and billed); it is recorded as {ref}: reconcile looks"
                " for it"
            )
        super().__init__(text)


class PossiblyPaid(HailuoError):
    """An identical earlier submit may have been accepted and billed: nothing is sent.

    Its outcome is unknown (the connection dropped, the process was interrupted or died
    with the request in flight). Sending again could pay twice, so the request waits for
    reconciliation, or for ``new=True`` (``--new``), which pays again on purpose.

    Example:
        >>> str(PossiblyPaid("submit-ab12", "segmind", "10:42"))[:60]
        'an identical request (submit-ab12, sent 10:42) may already h'
    """

    def __init__(self, ref: str, provider: str, when: str) -> None:
        self.ref, self.provider, self.when = ref, provider, when
        super().__init__(
            f"an identical request ({ref}, sent {when}) may already have been accepted and"
            f" billed by {provider}, its outcome is unknown: nothing was sent. Reconcile looks"
            " for it; new=True (--new) pays again on purpose"
        )


class StoreError(HailuoError):
    """The job store could not be read or written (disk full, locked by another program).

    Before a submit (``nothing_sent``) this means nothing was sent. After one, ``job_id``
    names the job the provider accepted: it is kept (and followed) in memory, so nothing
    paid for is unnamed.

    Example:
        >>> str(StoreError("database is locked", nothing_sent=True))
        'the job store cannot be written (database is locked): nothing was sent'
        >>> str(StoreError("disk full", job_id="ab12", provider="segmind"))[:52]
        'segmind accepted job ab12, but the job store cannot '
    """

    def __init__(
        self,
        reason: str,
        *,
        job_id: str | None = None,
        provider: str = "",
        nothing_sent: bool = False,
    ) -> None:
        self.reason, self.job_id = reason, job_id
        if job_id is not None:
            text = (
                f"{provider} accepted job {job_id}, but the job store cannot be written"
                f" ({reason}): the job is followed in this process; keep its id to resume"
                f" it later: resume {job_id}"
            )
        elif nothing_sent:
            text = f"the job store cannot be written ({reason}): nothing was sent"
        else:
            text = f"the job store cannot be used ({reason})"
        super().__init__(text)


class DownloadError(HailuoError):
    """The video could not be saved (wrong size, too big, not a web URL...).

    ``transient`` is True when asking again may succeed (a body cut short, an error page
    served with 200 by a gateway); False when it cannot (too big, not an http(s) URL).
    ``gone`` is True when the URL itself was refused (401, 403, 404, 410: usually a signed
    URL past its lifetime), so that a fresh URL from the provider may still work.

    Example:
        >>> str(DownloadError("truncated")), DownloadError("truncated", transient=True).transient
        ('truncated', True)
    """

    def __init__(self, message: str, *, transient: bool = False, gone: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.gone = gone


class StoppedWaiting(Exception):
    """The user interrupted a blocking wait; the work itself goes on in the background.

    Not a :class:`HailuoError`: nothing went wrong, and code that reports our errors must
    let it through to the cell.

    Example:
        >>> str(StoppedWaiting())
        'stopped waiting; the work goes on in the background'
    """

    def __init__(self, message: str = "stopped waiting; the work goes on in the background"):
        super().__init__(message)


def transient(exc: BaseException) -> bool:
    """Whether asking the same (idempotent) question again may succeed.

    The one rule of every retry loop (polls, results, uploads, downloads): the network, a
    5xx (or its in-band twin, :class:`ServiceError`), an unreadable answer, a 429, a
    download cut short. A refusal (401, 402, 404, a
    bad request) would be refused again. Submits are never retried on this rule alone:
    see :mod:`hailuo_nb.http`.

    Example:
        >>> bad_key = ProviderError("bad key", provider="segmind", status_code=401)
        >>> transient(NetworkError("reset")), transient(bad_key)
        (True, False)
        >>> transient(ProviderError("gateway", provider="minimax", status_code=502))
        True
    """
    if isinstance(exc, (NetworkError, RateLimited, MalformedResponse, ServiceError)):
        return True
    if isinstance(exc, DownloadError):
        return exc.transient
    return isinstance(exc, ProviderError) and (exc.status_code or 0) >= 500
