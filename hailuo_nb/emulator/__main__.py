"""``python -m hailuo_nb.emulator``: run the emulator as a local HTTP server.

Example:
    >>> cfg = config_from_args(parse_args(["--time-scale", "100", "--key", "SG_a=2.5"]))
    >>> cfg.time_scale, cfg.keys
    (100.0, {'SG_a': 2.5})
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .config import (
    AIMLAPI_ERROR_SHAPES,
    FAULT_ENDPOINTS,
    FAULT_KINDS,
    MINIMAX_FAIL_STYLES,
    SEGMIND_V1_ANSWERS,
    EmulatorConfig,
    Fault,
)

_EPILOG = f"""\
paths: Segmind under /segmind (e.g. POST /segmind/v2/hailuo-2.3, SDK base_url
http://HOST:PORT/segmind/v1), AI/ML API under /aimlapi, MiniMax under /minimax (V1 Hailuo
and V2 H3, e.g. POST /minimax/v2/video_generation), videos under /files, admin under
/__emulator__ (stats, faults, clock, reset).
fal.ai queue under /fal (fal-client: FAL_QUEUE_RUN_HOST=HOST:PORT/fal; it only speaks
https, so start with --ssl-certfile/--ssl-keyfile and trust the certificate through
SSL_CERT_FILE); Replicate under /replicate (replicate-python:
REPLICATE_BASE_URL=http://HOST:PORT/replicate).

fault endpoints: {", ".join(FAULT_ENDPOINTS)}
fault kinds:     {", ".join(FAULT_KINDS)}

This is a test double written from public documentation: it is not the real service,
produces placeholder videos, and never contacts the real providers.
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``--help`` documents every option)."""
    d = EmulatorConfig()
    p = argparse.ArgumentParser(
        prog="python -m hailuo_nb.emulator",
        description="Local emulator of the Segmind, AI/ML API and MiniMax Hailuo video APIs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a = p.add_argument
    a("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    a("--port", type=int, default=8000, help="TCP port (default: %(default)s; 0 = any free)")
    a(
        "--time-scale",
        type=float,
        default=d.time_scale,
        help="divide the vendors' typical job durations by this (default: %(default)s, so a "
        "hailuo-2.3 job of ~141 s takes ~9 s; 1 = real time)",
    )
    a(
        "--spread",
        type=float,
        default=d.spread,
        help="relative random spread of durations (default: %(default)s)",
    )
    a(
        "--queue-fraction",
        type=float,
        default=d.queue_fraction,
        help="share of a job's time spent QUEUED before PROCESSING (default: %(default)s)",
    )
    a(
        "--workers",
        type=int,
        default=d.workers_per_key,
        dest="workers_per_key",
        help="jobs of one key that run at once; further jobs queue (default: %(default)s)",
    )
    a(
        "--preview",
        action="store_true",
        help="render small 320x180 frames instead of the requested size (1366x768, "
        "1920x1080, ...): much faster, same duration and frame rate; the API answers "
        "(video_width/height on MiniMax) still report the requested size",
    )
    a(
        "--key",
        action="append",
        default=[],
        metavar="KEY=BALANCE",
        help="accept only these keys, with these balances in USD (repeatable); without "
        "--key any non-empty key is accepted with --default-balance",
    )
    a(
        "--default-balance",
        type=float,
        default=d.default_balance,
        help="balance of auto-created accounts in USD (default: %(default)s)",
    )
    a(
        "--rpm",
        type=int,
        default=None,
        dest="rate_limit_rpm",
        help="requests per minute per key, polls included (default: unlimited)",
    )
    a(
        "--rpm-window",
        type=float,
        default=d.rate_limit_window_s,
        dest="rate_limit_window_s",
        help="the rate limit's sliding window in seconds; 60 / time scale keeps a limit's"
        " real-time meaning on a sped-up clock (default: %(default)s)",
    )
    a(
        "--fault",
        action="append",
        default=[],
        metavar="ENDPOINT:KIND[:RATE]",
        help="inject a fault with the given probability (default rate 1 = always); "
        "repeatable; change them at run time with POST /__emulator__/faults",
    )
    a(
        "--block-marker",
        default=d.block_marker,
        help="a prompt containing this is refused by moderation (default: %(default)s)",
    )
    a(
        "--output-block-marker",
        default=d.output_block_marker,
        help="a prompt containing this fails with a sensitive-output reason (default: %(default)s)",
    )
    a(
        "--segmind-retention",
        type=float,
        default=d.segmind_retention_s,
        dest="segmind_retention_s",
        help="seconds Segmind keeps status/result after submission (default: %(default)s)",
    )
    a(
        "--aimlapi-url-ttl",
        type=float,
        default=d.aimlapi_url_ttl_s,
        dest="aimlapi_url_ttl_s",
        help="seconds AI/ML signed video URLs stay valid (default: %(default)s)",
    )
    a(
        "--aimlapi-error-shape",
        choices=AIMLAPI_ERROR_SHAPES,
        default=d.aimlapi_error_shape,
        dest="aimlapi_error_shape",
        help="how a failed AI/ML job's error reads: name_message ({name, message}, the "
        "docs), detail ({detail: [{loc, msg, type}]}, a captured failure) or string "
        "(default: %(default)s)",
    )
    a(
        "--aimlapi-credits-only",
        action="store_false",
        dest="aimlapi_usd_spent",
        help="AI/ML submit answers report meta.usage.credits_used only, as in the seed "
        "(default: usd_spent beside it, as recent captures do)",
    )
    a(
        "--minimax-url-ttl",
        type=float,
        default=d.minimax_url_ttl_s,
        dest="minimax_url_ttl_s",
        help="seconds MiniMax download URLs stay valid (default: %(default)s = 1 h, as "
        "MiniMax's download page says)",
    )
    a(
        "--minimax-fail-style",
        choices=MINIMAX_FAIL_STYLES,
        default=d.minimax_fail_style,
        help="how a failed MiniMax task answers its query: 'code' = base_resp carries the "
        "reason's code and message; 'zero' = code 0 \"success\" and no reason (the official "
        "schema has no error field); 'zero_msg' = code 0, the reason as status_msg; "
        "'zero_field' = code 0 \"success\", the reason in an error_message field "
        "(default: %(default)s)",
    )
    a(
        "--segmind-v1-answer",
        choices=SEGMIND_V1_ANSWERS,
        default=d.segmind_v1_answer,
        help="what a Segmind v1 call answers: 'video' = the MP4 bytes (a failure: 400); "
        "'octet' = the same bytes as application/octet-stream; "
        "'json' = 200 JSON with an output URL, or with an error for a failed job; 'html' = "
        "a 200 HTML page once the job is done (default: %(default)s)",
    )
    a(
        "--minimax-v2-url-ttl",
        type=float,
        default=d.minimax_v2_url_ttl_s,
        dest="minimax_v2_url_ttl_s",
        help="seconds a MiniMax V2 (H3) content.url stays valid; every query signs a new "
        "one (default: %(default)s = 24 h)",
    )
    a(
        "--minimax-v2-in-flight",
        type=int,
        default=d.minimax_v2_max_in_flight,
        dest="minimax_v2_max_in_flight",
        help="MiniMax V2 (H3) tasks one key may have queued or running; more get 429 "
        "(default: %(default)s)",
    )
    a(
        "--fal-file-ttl",
        type=float,
        default=d.fal_file_ttl_s,
        dest="fal_file_ttl_s",
        help="seconds fal output files stay downloadable, unless the submit's "
        "X-Fal-Object-Lifecycle-Preference says otherwise (default: %(default)s = 7 days)",
    )
    a(
        "--replicate-retention",
        type=float,
        default=d.replicate_retention_s,
        dest="replicate_retention_s",
        help="seconds after a Replicate prediction ends before its input, output and logs "
        "are removed (default: %(default)s)",
    )
    a(
        "--replicate-aborted",
        action="store_true",
        help="report a Cancel-After deadline passed before the start as 'aborted' "
        "(replicate-python 1.0.7 rejects that status; without this it is 'canceled')",
    )
    a(
        "--slow-seconds",
        type=float,
        default=d.slow_seconds,
        help="how long a 'slow' fault holds the answer (default: %(default)s)",
    )
    a("--seed", type=int, default=None, help="random seed for durations, ids and fault rates")
    a(
        "--files-dir",
        type=Path,
        default=None,
        help="directory for rendered videos (default: a temporary directory)",
    )
    a("--log-level", default="info", help="uvicorn log level (default: %(default)s)")
    a("--ssl-certfile", default=None, help="serve https with this PEM certificate (fal-client)")
    a("--ssl-keyfile", default=None, help="the PEM key of --ssl-certfile")
    return p.parse_args(argv)


def config_from_args(ns: argparse.Namespace) -> EmulatorConfig:
    """Turn parsed options into an ``EmulatorConfig`` (raises ValueError on bad values)."""
    keys: dict[str, float] | None = None
    if ns.key:
        keys = {}
        for item in ns.key:
            key, sep, balance = item.partition("=")
            if not key or not sep:
                raise ValueError(f"--key wants KEY=BALANCE, got {item!r}")
            keys[key] = float(balance)
    return EmulatorConfig(
        time_scale=ns.time_scale,
        spread=ns.spread,
        queue_fraction=ns.queue_fraction,
        workers_per_key=ns.workers_per_key,
        preview=ns.preview,
        keys=keys,
        default_balance=ns.default_balance,
        rate_limit_rpm=ns.rate_limit_rpm,
        rate_limit_window_s=ns.rate_limit_window_s,
        block_marker=ns.block_marker,
        output_block_marker=ns.output_block_marker,
        segmind_retention_s=ns.segmind_retention_s,
        aimlapi_url_ttl_s=ns.aimlapi_url_ttl_s,
        aimlapi_error_shape=ns.aimlapi_error_shape,
        aimlapi_usd_spent=ns.aimlapi_usd_spent,
        minimax_url_ttl_s=ns.minimax_url_ttl_s,
        minimax_fail_style=ns.minimax_fail_style,
        segmind_v1_answer=ns.segmind_v1_answer,
        minimax_v2_url_ttl_s=ns.minimax_v2_url_ttl_s,
        minimax_v2_max_in_flight=ns.minimax_v2_max_in_flight,
        fal_file_ttl_s=ns.fal_file_ttl_s,
        replicate_retention_s=ns.replicate_retention_s,
        replicate_aborted=ns.replicate_aborted,
        slow_seconds=ns.slow_seconds,
        seed=ns.seed,
        faults=[Fault.from_spec(spec) for spec in ns.fault],
        files_dir=ns.files_dir,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server until Ctrl-C."""
    import uvicorn

    from .app import create_app
    from .server import quiet_drops

    ns = parse_args(argv)
    try:
        config = config_from_args(ns)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    quiet_drops()
    scheme = "https" if ns.ssl_certfile else "http"
    print(
        f"hailuo-nb emulator on {scheme}://{ns.host}:{ns.port} "
        f"(Segmind SDK base_url: {scheme}://{ns.host}:{ns.port}/segmind/v1)",
        flush=True,
    )
    uvicorn.run(
        create_app(config),
        host=ns.host,
        port=ns.port,
        lifespan="off",
        log_level=ns.log_level,
        ssl_certfile=ns.ssl_certfile,
        ssl_keyfile=ns.ssl_keyfile,
    )


if __name__ == "__main__":
    main()
