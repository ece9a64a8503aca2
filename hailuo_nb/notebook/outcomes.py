"""What a cell says when a submit did not simply succeed, in the notebook's own words.

The core's errors name the way out generically ("reconcile looks for it"); a cell names
the magic that does it (``%hailuo reconcile``, ``%hailuo resume ID``, ``--new``).

Example:
    >>> from hailuo_nb.errors import SubmitInterrupted
    >>> interrupted_line(SubmitInterrupted("segmind", sent=True, job_id="ab12"))
    'interrupted after segmind accepted job ab12; it is saved: %hailuo resume ab12'
"""

from __future__ import annotations

from ..errors import HailuoError, PossiblyPaid, StoreError, SubmitInterrupted, SubmitUncertain

__all__ = ["error_line", "interrupted_line"]


def interrupted_line(exc: SubmitInterrupted) -> str:
    """The one line after Interrupt Kernel arrived during a submit.

    Example:
        >>> interrupted_line(SubmitInterrupted("segmind", sent=False))
        'interrupted before the request was sent to segmind: nothing was paid'
    """
    if not exc.sent:
        return str(exc)
    if exc.job_id and exc.resumable:
        return (
            f"interrupted after {exc.provider} accepted job {exc.job_id}; it is saved:"
            f" %hailuo resume {exc.job_id}"
        )
    if exc.job_id:
        return (
            f"interrupted during {exc.provider} job {exc.job_id}, which cannot be resumed; it"
            " may have been billed: %hailuo reconcile looks for it"
        )
    return (
        f"interrupted with the request in flight and no answer from {exc.provider}: it may"
        f" have been accepted (and billed). It is recorded as {exc.ref}:"
        " %hailuo reconcile looks for it"
    )


def error_line(exc: HailuoError) -> str:
    """The one line of a submit that failed (nothing sent twice, every paid job named).

    Example:
        >>> error_line(PossiblyPaid("submit-ab12", "segmind", "2026-11-30 10:42"))[:48]
        'an identical request (submit-ab12, sent 2026-11-'
    """
    if isinstance(exc, PossiblyPaid):
        return (
            f"an identical request ({exc.ref}, sent {exc.when})"
            f" may already have been accepted and billed by {exc.provider}, and its outcome is"
            " unknown: nothing was sent. %hailuo reconcile looks for it; --new pays again on"
            " purpose"
        )
    if isinstance(exc, SubmitUncertain):
        return (
            f"{exc.provider}: the submit failed after it was sent ({exc.cause}): it may have"
            " been accepted (and billed) and was not sent again. It is recorded as"
            f" {exc.ref}: %hailuo reconcile looks for it"
        )
    if isinstance(exc, StoreError) and exc.job_id:
        return f"{str(exc).split(': resume ')[0]}: %hailuo resume {exc.job_id}"
    return str(exc)
