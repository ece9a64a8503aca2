"""Fixtures for storyboards: the comparison's served emulator (real socket, Segmind).

The emulator renders preview videos (320 px wide) at 400× speed; its ``/__emulator__/stats``
counts what was really submitted.
"""

from __future__ import annotations

from tests.comparison.conftest import emulator_config, served  # noqa: F401 - fixtures
from tests.notebook.conftest import shell  # noqa: F401 - fixture
