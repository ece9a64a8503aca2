"""The command line: --help documents the options, and they reach EmulatorConfig."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hailuo_nb.emulator.__main__ import config_from_args, parse_args


def test_help_explains_every_option() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hailuo_nb.emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    for option in (
        "--time-scale",
        "--preview",
        "--key",
        "--rpm",
        "--workers",
        "--fault",
        "--block-marker",
        "--seed",
        "--minimax-url-ttl",
        "--minimax-fail-style",
        "--segmind-v1-answer",
        "406_content_type",
        "320x180",
    ):
        assert option in out


def test_options_reach_the_config() -> None:
    cfg = config_from_args(
        parse_args(
            [
                "--time-scale",
                "50",
                "--preview",
                "--key",
                "SG_a=1.5",
                "--key",
                "b=2",
                "--rpm",
                "5",
                "--workers",
                "2",
                "--fault",
                "segmind.submit:500:0.25",
                "--fault",
                "files:drop",
                "--block-marker",
                "NOPE",
                "--seed",
                "9",
                "--minimax-fail-style",
                "zero",
                "--segmind-v1-answer",
                "json",
                "--fault",
                "segmind.v1:406_spend_limit",
            ]
        )
    )
    assert cfg.time_scale == 50 and cfg.preview and cfg.seed == 9
    assert cfg.keys == {"SG_a": 1.5, "b": 2.0}
    assert cfg.rate_limit_rpm == 5 and cfg.workers_per_key == 2
    assert [(f.endpoint, f.kind, f.rate) for f in cfg.faults] == [
        ("segmind.submit", "500", 0.25),
        ("files", "drop", None),
        ("segmind.v1", "406_spend_limit", None),
    ]
    assert cfg.block_marker == "NOPE"
    assert (cfg.minimax_fail_style, cfg.segmind_v1_answer) == ("zero", "json")
    # MiniMax's download page: a download URL lives one hour.
    assert config_from_args(parse_args([])).minimax_url_ttl_s == 3600


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault", "segmind.nope:500"],
        ["--key", "nobalance"],
        ["--fault", "files:teapot"],
        ["--fault", "minimax.submit:406_credits"],
    ],
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    with pytest.raises(ValueError):
        config_from_args(parse_args(argv))
