"""Bad input: every invalid option, parameter, image and file gives ONE line, sends NOTHING.

Three surfaces, each pointed at a real emulator server whose statistics must show no
request at all afterwards (not just no submission):

- ``magic``: ``%%hailuo`` / ``%hailuo`` in a real IPython shell → ``UsageError``, one line;
- ``cli``: ``hailuo generate ...`` → exit code 2 and exactly one line on stderr;
- ``client``: ``Client.submit`` / ``Client(...)`` → ``ValidationError``, one line.

The table (case, surface, message) is written to ``artifacts/bad-input.md`` by
``conftest.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from PIL import Image

from hailuo_nb.cli import main as cli_main
from hailuo_nb.client import Client
from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread
from hailuo_nb.errors import ValidationError

from ..notebook.conftest import RecordingPublisher
from .conftest import BAD_INPUT

KEYS = {
    "SEGMIND_API_KEY": "SG_badinput_0123456789",
    "AIMLAPI_KEY": "aiml-badinput-0123456789",
    "MINIMAX_API_KEY": "mm-badinput-0123456789",
}


@dataclass(frozen=True)
class Bad:
    """One invalid input, spelled for every surface that can express it."""

    name: str
    provider: str = "segmind"
    prompt: str = "a red fox running through snow"
    params: dict[str, Any] = field(default_factory=dict)  # our vocabulary
    surfaces: tuple[str, ...] = ("magic", "cli", "client")
    magic: str | None = None  # a whole cell/line for the magic-only cases
    cli: tuple[str, ...] | None = None  # argv for the CLI-only cases
    client: dict[str, Any] | None = None  # Client(...) arguments for settings cases
    out_is_file: bool = False  # the output folder given is an existing regular file


def _images(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    Image.new("RGB", (640, 360), (10, 120, 200)).save(folder / "anim.gif")
    out["gif"] = str(folder / "anim.gif")
    Image.new("RGB", (600, 300), (10, 120, 200)).save(folder / "short.png")
    out["short"] = str(folder / "short.png")
    Image.new("RGB", (400, 1200), (10, 120, 200)).save(folder / "tall.png")
    out["tall"] = str(folder / "tall.png")
    big = folder / "big.png"
    with open(big, "wb") as f:  # a sparse 21 MB file: refused on its size, never read
        f.truncate(21 * 1024 * 1024)
    out["big"] = str(big)
    (folder / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    out["corrupt"] = str(folder / "corrupt.png")
    out["missing"] = str(folder / "no-such-frame.png")
    Image.new("RGB", (640, 360), (10, 120, 200)).save(folder / "ok.png")
    out["ok"] = str(folder / "ok.png")
    return out


IMAGES = _images(Path(os.environ.get("TMPDIR", "/tmp")) / f"hailuo-bad-input-{os.getpid()}")
FAST = {"model": "hailuo-2.3-fast"}  # image-to-video: the first frame is required

CASES: list[Bad] = [
    # -- parameters --------------------------------------------------------------------
    Bad("duration not allowed (7)", params={"duration": "7"}),
    Bad("duration not a number", params={"duration": "six"}),
    Bad("resolution not allowed (720p)", params={"resolution": "720p"}),
    Bad(
        "MiniMax 10 s at 1080p",
        provider="minimax",
        params={"duration": "10", "resolution": "1080p"},
    ),
    Bad(
        "AI/ML 10 s at 1080p",
        provider="aimlapi",
        params={"duration": "10", "resolution": "1080p"},
    ),
    Bad("unknown model", params={"model": "hailuo-9"}),
    Bad("hailuo-2.3-fast without first frame", params=dict(FAST)),
    Bad("go_fast on hailuo-2.3", params={"go_fast": True}, surfaces=("magic", "client")),
    Bad(
        "mode not allowed",
        params={"model": "minimax-hailuo-2", "mode": "ultra"},
        surfaces=("magic", "client"),
    ),
    Bad(
        "last frame without first",
        provider="aimlapi",
        params={"model": "hailuo-02", "last_frame": IMAGES["ok"]},
    ),
    Bad("last frame on a model without one", params={"last_frame": IMAGES["ok"]}),
    Bad(
        "MiniMax 512p with a last frame",
        provider="minimax",
        params={
            "model": "hailuo-02",
            "resolution": "512p",
            "first_frame": IMAGES["ok"],
            "last_frame": IMAGES["ok"],
        },
    ),
    Bad("empty prompt", prompt="   "),
    Bad("prompt over 2000 characters", prompt="fox " * 600),
    Bad("prompt_optimizer not a bool", params={"prompt_optimizer": "yes"}, surfaces=("client",)),
    Bad("unknown parameter", params={"colour": "red"}, surfaces=("client",)),
    # -- images ------------------------------------------------------------------------
    Bad("image: GIF", params={**FAST, "first_frame": IMAGES["gif"]}),
    Bad("image: over 20 MB", params={**FAST, "first_frame": IMAGES["big"]}),
    Bad("image: short side 300 px", params={**FAST, "first_frame": IMAGES["short"]}),
    Bad("image: aspect 1:3", params={**FAST, "first_frame": IMAGES["tall"]}),
    Bad("image: corrupt file", params={**FAST, "first_frame": IMAGES["corrupt"]}),
    Bad("image: missing file", params={**FAST, "first_frame": IMAGES["missing"]}),
    Bad("image: file:// URL", params={**FAST, "first_frame": "file:///etc/passwd"}),
    Bad("image: javascript: URL", params={**FAST, "first_frame": "javascript:alert(1)"}),
    Bad("image: ftp:// URL", params={**FAST, "first_frame": "ftp://host/a.png"}),
    # -- files -------------------------------------------------------------------------
    Bad("file: output folder is a file", out_is_file=True),
    # -- magic options -----------------------------------------------------------------
    Bad("magic: unknown option", surfaces=("magic",), magic="%%hailuo --bogus\na fox"),
    Bad("magic: -o not a name", surfaces=("magic",), magic="%%hailuo -o 1fox\na fox"),
    Bad("magic: unknown provider", surfaces=("magic",), magic="%%hailuo --provider acme\na fox"),
    Bad("magic: undefined {name}", surfaces=("magic",), magic="%%hailuo\na {undefined_animal}"),
    Bad("magic: unbalanced quote", surfaces=("magic",), magic="%%hailuo -o 'fox\na fox"),
    Bad("magic: empty cell", surfaces=("magic",), magic="%%hailuo\n   "),
    Bad("magic: no command", surfaces=("magic",), magic="%hailuo"),
    Bad("magic: unknown command", surfaces=("magic",), magic="%hailuo launch"),
    Bad("magic: history N not a number", surfaces=("magic",), magic="%hailuo history ten"),
    Bad("magic: resume without id", surfaces=("magic",), magic="%hailuo resume"),
    Bad("magic: resume unknown id", surfaces=("magic",), magic="%hailuo resume nosuchjob"),
    Bad("magic: wait unknown job", surfaces=("magic",), magic="%hailuo wait nosuchjob"),
    # -- CLI options -------------------------------------------------------------------
    Bad("cli: unknown option", surfaces=("cli",), cli=("generate", "a fox", "--bogus")),
    Bad(
        "cli: --timeout not a number",
        surfaces=("cli",),
        cli=("generate", "a fox", "--timeout", "x"),
    ),
    Bad(
        "cli: unknown provider", surfaces=("cli",), cli=("generate", "a fox", "--provider", "acme")
    ),
    Bad(
        "cli: --base-url not http(s)",
        surfaces=("cli",),
        cli=("generate", "a fox", "--base-url", "ftp://h"),
    ),
    Bad("cli: --rpm 0", surfaces=("cli",), cli=("generate", "a fox", "--rpm", "0")),
    Bad("cli: no command", surfaces=("cli",), cli=()),
    # -- client settings ---------------------------------------------------------------
    Bad("client: unknown provider", surfaces=("client",), client={"provider": "acme"}),
    Bad("client: base_url not http(s)", surfaces=("client",), client={"base_url": "file:///tmp"}),
    Bad("client: max_concurrency 0", surfaces=("client",), client={"max_concurrency": 0}),
    Bad("client: requests_per_minute 0", surfaces=("client",), client={"requests_per_minute": 0}),
    Bad("client: segmind_api v3", surfaces=("client",), client={"segmind_api": "v3"}),
    Bad(
        "client: no key for a real provider",
        surfaces=("client",),
        client={"base_url": "https://api.segmind.com", "api_key": None},
    ),
]
PAIRS = [pytest.param(c, s) for c in CASES for s in c.surfaces]
CASE_COUNT = len(PAIRS)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_in_thread(create_app(EmulatorConfig(time_scale=2000.0, preview=True))) as base:
        yield base


def requests_seen(base: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{base}/__emulator__/stats").json()["requests"]
    return body


def one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {text!r}"
    return lines[0]


def out_dir(case: Bad, tmp: Path) -> Path:
    if not case.out_is_file:
        return tmp / "out"
    path = tmp / "not-a-folder"
    path.write_text("a file where the output folder should be")
    return path


# -- surfaces ------------------------------------------------------------------------------
def _magic_options(params: dict[str, Any], provider: str) -> str:
    words = [f"--provider {provider}"]
    for name, value in params.items():
        if isinstance(value, bool):
            words.append(f"--{name.replace('_', '-')}")
        else:
            words.append(f"--{name.replace('_', '-')} '{value}'")
    return " ".join(words)


def run_magic(case: Bad, base: str, tmp: Path, mp: pytest.MonkeyPatch) -> str:
    mp.chdir(tmp)
    for name, value in KEYS.items():
        mp.setenv(name, value)
    mp.delenv("HAILUO_PROVIDER", raising=False)
    sh = InteractiveShell.instance()
    sh.config.pop("Hailuo", None)
    mp.setattr(sh, "display_pub", RecordingPublisher())
    sh.run_line_magic("load_ext", "hailuo_nb")
    try:
        sh.run_line_magic("config", f'Hailuo.provider = "{case.provider}"')
        sh.run_line_magic("config", f'Hailuo.base_url = "{base}/{case.provider}"')
        sh.run_line_magic("config", f'Hailuo.output_dir = "{out_dir(case, tmp)}"')
        sh.run_line_magic("config", 'Hailuo.progress = "text"')
        source = case.magic
        if source is None:
            source = f"%%hailuo {_magic_options(case.params, case.provider)}\n{case.prompt}"
        first, _, body = source.partition("\n")
        with pytest.raises(UsageError) as info:
            if first.startswith("%%"):
                name, _, line = first[2:].partition(" ")
                sh.run_cell_magic(name, line, body)
            else:
                name, _, line = first[1:].partition(" ")
                sh.run_line_magic(name, line)
        return one_line(str(info.value))
    finally:
        sh.run_line_magic("unload_ext", "hailuo_nb")
        sh.config.pop("Hailuo", None)


def cli_argv(case: Bad, base: str, tmp: Path) -> list[str]:
    if case.cli is not None:
        argv = list(case.cli)
        if argv and "--provider" not in argv:
            argv += ["--provider", "segmind"]
        if argv and "--base-url" not in argv:
            argv += ["--base-url", f"{base}/segmind"]
        return [*argv, "--out", str(tmp / "out")] if argv else argv
    argv = ["generate", case.prompt, "--provider", case.provider]
    argv += ["--base-url", f"{base}/{case.provider}", "--out", str(out_dir(case, tmp))]
    for name, value in case.params.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv


def run_cli(
    case: Bad, base: str, tmp: Path, mp: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    for name in (*KEYS, "HAILUO_PROVIDER", "HAILUO_EMULATOR"):
        mp.delenv(name, raising=False)
    capsys.readouterr()
    try:
        code = cli_main(cli_argv(case, base, tmp))
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    assert code == 2, f"exit code {code}; stderr: {captured.err!r}"
    assert captured.out == ""
    return one_line(captured.err)


async def run_client(case: Bad, base: str, tmp: Path) -> str:
    args: dict[str, Any] = {
        "base_url": f"{base}/{case.provider}",
        "output_dir": out_dir(case, tmp),
        "environ": {},
        **(case.client or {}),
    }
    provider = args.pop("provider", case.provider)
    with pytest.raises(ValidationError) as info:
        async with Client(provider, **args) as client:
            await client.submit(case.prompt, **case.params)
    return one_line(str(info.value))


@pytest.mark.parametrize(
    ("case", "surface"), PAIRS, ids=[f"{p.values[1]}:{p.values[0].name}" for p in PAIRS]
)
def test_bad_input_is_one_line_and_sends_nothing(
    case: Bad,
    surface: str,
    server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    httpx.post(f"{server}/__emulator__/reset").raise_for_status()
    if surface == "magic":
        message = run_magic(case, server, tmp_path, monkeypatch)
    elif surface == "cli":
        message = run_cli(case, server, tmp_path, monkeypatch, capsys)
    else:
        message = asyncio.run(run_client(case, server, tmp_path))
    seen = requests_seen(server)
    BAD_INPUT.append((case.name, surface, message, not seen))
    assert seen == {}, f"requests reached the emulator: {seen}"
    assert "Traceback" not in message and len(message) < 400
    for key in KEYS.values():
        assert key not in message


def test_cli_process_exit_code_and_single_stderr_line(server: str, tmp_path: Path) -> None:
    """The real process, once: exit status 2, one stderr line, empty stdout, no request."""
    httpx.post(f"{server}/__emulator__/reset").raise_for_status()
    env = {k: v for k, v in os.environ.items() if k not in KEYS and not k.startswith("HAILUO")}
    argv = ["generate", "a fox", "--duration", "7", "--provider", "segmind"]
    argv += ["--base-url", f"{server}/segmind", "--out", str(tmp_path)]
    proc = subprocess.run(
        [sys.executable, "-m", "hailuo_nb.cli", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line(proc.stderr).startswith("hailuo: duration:")
    assert requests_seen(server) == {}
    assert json.dumps(proc.stderr)  # printable
