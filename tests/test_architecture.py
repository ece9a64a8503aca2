"""The shape of the package: layers that point down (import-linter), and the public names.

``lint-imports`` in the project root checks the contracts in ``pyproject.toml``; the
second test shows that an upward import, even one hidden inside a function, breaks them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hailuo_nb

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first: the copy under test is imported, not the installed package.
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_import_points_down() -> None:
    out = lint(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        # The core reaching for the session (a hidden import inside a function).
        ("client.py", "from hailuo_nb.notebook.registry import current_session"),
        # The session reaching back into the magics, as it once did.
        ("notebook/session.py", "from hailuo_nb.magics import load_ipython_extension"),
        # The emulator importing the client side.
        ("emulator/state.py", "from hailuo_nb.catalog import models"),
    ],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, upward: str) -> None:
    shutil.copytree(ROOT / "hailuo_nb", tmp_path / "hailuo_nb")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "hailuo_nb" / module
    target.write_text(target.read_text() + f"\n\ndef _sneaky() -> None:\n    {upward}\n")
    out = lint(tmp_path)
    assert out.returncode != 0 and "BROKEN" in out.stdout, out.stdout + out.stderr


def test_public_names_are_pinned() -> None:
    assert hailuo_nb.__all__ == [
        "Client",
        "Cost",
        "HailuoError",
        "Job",
        "Panel",
        "SubmitUncertain",
        "compare",
        "load_ipython_extension",
        "storyboard",
        "unload_ipython_extension",
    ]
    for name in hailuo_nb.__all__:
        assert getattr(hailuo_nb, name) is not None


def test_submit_uncertain_is_not_a_network_error() -> None:
    # It means the opposite: the request probably reached the server (do not resend).
    assert not issubclass(hailuo_nb.SubmitUncertain, hailuo_nb.errors.NetworkError)
    assert issubclass(hailuo_nb.SubmitUncertain, hailuo_nb.HailuoError)
