"""``Prepared``: one request, validated once, with everything decided before it is sent.

``Client.prepare`` builds it (the one place a request is validated and its images read);
``Client.submit`` sends it. The session, the panel and a comparison's plan prepare each
request once and pass this object on, so an image is read and decoded once per submit.

Example:
    >>> from hailuo_nb.params import build_request
    >>> from hailuo_nb.fingerprint import fingerprint
    >>> request = build_request("emulator", "a red fox")
    >>> p = Prepared(request, fingerprint(request), request.estimate(), reusable=None)
    >>> p.params["duration"], str(p.estimate), p.will_pay
    (6, '~$0.35 (estimate)', True)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .models import Cost, Job
from .params import Request

__all__ = ["Prepared"]


@dataclass(frozen=True)
class Prepared:
    """A validated request, its fingerprint, its estimated cost, and the earlier job that
    would stand in for it (``reusable``; None when it will be paid for).

    ``new`` marks a request that must be paid for even where an identical job exists
    (``--new``, ``new=True``).

    Example: see the module.
    """

    request: Request
    fingerprint: str
    estimate: Cost
    reusable: Job | None
    new: bool = False

    @property
    def params(self) -> dict[str, Any]:
        """The request in the kit's vocabulary, images as short references (a job's record).

        Example: see the module.
        """
        return self.request.public_params()

    @property
    def prompt(self) -> str:
        """The prompt text.

        Example: see the module.
        """
        return self.request.prompt

    def as_new(self) -> Prepared:
        """The same request, to be paid for as a fresh sample (no earlier job stands in).

        Example:
            >>> from hailuo_nb.params import build_request
            >>> request = build_request("emulator", "a red fox")
            >>> Prepared(request, "f" * 64, request.estimate(), reusable=None).as_new().new
            True
        """
        return dataclasses.replace(self, new=True, reusable=None)

    @property
    def will_pay(self) -> bool:
        """True when sending it creates a new, paid job (no earlier job stands in).

        Example: see the module.
        """
        return self.new or self.reusable is None
