"""The command line's fal and Replicate options reach EmulatorConfig."""

from __future__ import annotations

from hailuo_nb.emulator.__main__ import config_from_args, parse_args


def test_fal_and_replicate_options() -> None:
    ns = parse_args(
        [
            "--fal-file-ttl",
            "60",
            "--replicate-retention",
            "120",
            "--replicate-aborted",
            "--fault",
            "fal.cancel:cancel_race",
            "--ssl-certfile",
            "cert.pem",
            "--ssl-keyfile",
            "key.pem",
        ]
    )
    cfg = config_from_args(ns)
    assert (cfg.fal_file_ttl_s, cfg.replicate_retention_s, cfg.replicate_aborted) == (
        60.0,
        120.0,
        True,
    )
    assert [f.to_dict()["kind"] for f in cfg.faults] == ["cancel_race"]
    assert (ns.ssl_certfile, ns.ssl_keyfile) == ("cert.pem", "key.pem")


def test_defaults() -> None:
    cfg = config_from_args(parse_args([]))
    assert (cfg.fal_file_ttl_s, cfg.replicate_retention_s) == (7 * 24 * 3600.0, 3600.0)
    assert cfg.replicate_aborted is False
