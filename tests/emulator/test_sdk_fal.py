"""The official fal-client 1.0.3 against the emulator, over TLS on a real 127.0.0.1 socket.

fal-client builds ``https://{FAL_QUEUE_RUN_HOST}/…`` and reads that variable once, when it
is imported; there is no http switch. So the emulator is served with a self-signed
certificate made for this test, and the SDK runs in a fresh interpreter whose environment
points it there: ``FAL_QUEUE_RUN_HOST=127.0.0.1:PORT/fal`` (a host may carry a path) and
``SSL_CERT_FILE`` (httpx trusts it). Everything the SDK saw is printed back as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from hailuo_nb.emulator import EmulatorConfig, create_app, serve_in_thread

from .hosted_helpers import probe_media

T2V = "fal-ai/minimax/hailuo-2.3/standard/text-to-video"

# Runs inside the SDK's interpreter; argv[1] is the emulator's https base URL.
_SCRIPT = r"""
import json, sys
import fal_client

out = {}
T2V = "fal-ai/minimax/hailuo-2.3/standard/text-to-video"
updates = []
def seen(status):
    updates.append({"type": type(status).__name__, **{k: v for k, v in vars(status).items()}})
out["result"] = fal_client.subscribe(
    T2V,
    arguments={"prompt": "a red fox in snow", "duration": "6"},
    with_logs=True,
    on_enqueue=lambda rid: out.setdefault("enqueued", rid),
    on_queue_update=seen,
)
out["updates"] = updates

# One worker: the second job waits behind the first, and is cancelled before it starts.
blocker = fal_client.submit(T2V, arguments={"prompt": "blocker", "duration": "10"})
victim = fal_client.submit(T2V, arguments={"prompt": "victim", "duration": "6"})
out["victim_before"] = type(victim.status()).__name__
fal_client.cancel(T2V, victim.request_id)  # URL rebuilt from owner/alias by the SDK
after = fal_client.status(T2V, victim.request_id, with_logs=True)
out["victim_after"] = {"type": type(after).__name__, "error": after.error,
                       "error_type": after.error_type}
try:
    victim.get()
except fal_client.FalClientHTTPError as exc:
    out["victim_get"] = {"status": exc.status_code, "message": str(exc)}
try:
    fal_client.subscribe(T2V, arguments={"prompt": "x", "duration": 6})
except fal_client.FalClientHTTPError as exc:
    out["bad_input"] = {"status": exc.status_code, "message": str(exc)}
for event in blocker.iter_events(interval=0.02):
    if isinstance(event, fal_client.InProgress):
        break
blocker.cancel()  # running: fal forwards the signal, the job runs on
out["blocker"] = blocker.get()["video"]["file_name"]
print(json.dumps(out))
"""


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made now (cryptography, else openssl)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if shutil.which("openssl") is None:
            pytest.skip("neither the cryptography package nor the openssl CLI is available")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )  # fmt: skip
        return cert, key
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # Key identifiers as openssl adds them: strict verifiers (Python ≥ 3.13) want them.
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(private.public_key()), False
        )
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def sdk_run(tls_files: tuple[Path, Path]) -> Iterator[dict[str, Any]]:
    """Serve the emulator over TLS and run the SDK script once against it."""
    cert, key = tls_files
    # 150 s / 300 = 0.5 s a job; one worker so the second job queues behind the first.
    app = create_app(EmulatorConfig(time_scale=300.0, preview=True, seed=5, workers_per_key=1))
    with serve_in_thread(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as base:
        assert base.startswith("https://127.0.0.1:")
        env = {
            **os.environ,
            "FAL_KEY": "fal-key-id:fal-key-secret",
            "FAL_QUEUE_RUN_HOST": f"{base.removeprefix('https://')}/fal",
            "SSL_CERT_FILE": str(cert),
            # httpx honours proxy variables: the loopback server must be reached directly.
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1"])),
        }
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        out["base"] = base
        out["stats"] = httpx.get(
            f"{base}/__emulator__/stats", verify=ssl.create_default_context(cafile=str(cert))
        ).json()
        out["cert"] = str(cert)
        video = httpx.get(
            out["result"]["video"]["url"], verify=ssl.create_default_context(cafile=str(cert))
        )
        out["video"] = video.content
        yield out


def test_subscribe_reports_queue_updates_and_completes(sdk_run: dict[str, Any]) -> None:
    types = [u["type"] for u in sdk_run["updates"]]
    assert types[0] == "Queued" and types[-1] == "Completed"
    assert set(types) <= {"Queued", "InProgress", "Completed"}
    assert "InProgress" in types
    assert sdk_run["updates"][0]["position"] == 0
    progress = [u for u in sdk_run["updates"] if u["type"] == "InProgress"]
    assert all(isinstance(u["logs"], list) for u in progress)  # with_logs=True
    assert sdk_run["updates"][-1]["metrics"]["inference_time"] > 0

    video = sdk_run["result"]["video"]
    assert video["url"].startswith(f"{sdk_run['base']}/fal/files/")
    assert len(sdk_run["video"]) == video["file_size"]
    media = probe_media(sdk_run["video"])
    assert (media.width, media.height) == (320, 180)
    assert media.seconds == pytest.approx(6.0, abs=0.1)
    # The SDK polled the app's status URL (owner/alias), never the endpoint's full path.
    requests = sdk_run["stats"]["requests"]
    assert "GET /fal/{owner}/{app}/requests/{request_id}/status" in requests
    assert set(requests["POST /fal/{endpoint:path}"]) == {"200"}


def test_cancel_before_start(sdk_run: dict[str, Any]) -> None:
    assert sdk_run["victim_before"] == "Queued"
    assert sdk_run["victim_after"] == {
        "type": "Completed",
        "error": "Request was cancelled before it started",
        "error_type": "request_cancelled",
    }
    assert sdk_run["victim_get"]["status"] == 400
    assert "cancelled" in sdk_run["victim_get"]["message"]
    requests = sdk_run["stats"]["requests"]
    assert requests["PUT /fal/{owner}/{app}/requests/{request_id}/cancel"] == {"202": 2}
    # The running blocker ignored its cancel and delivered its video.
    assert sdk_run["blocker"] == "output.mp4"


def test_bad_input_raises_with_the_detail_list(sdk_run: dict[str, Any]) -> None:
    assert sdk_run["bad_input"]["status"] == 422
    assert "Input should be '6' or '10'" in sdk_run["bad_input"]["message"]
    # Four accepted submissions: the subscribed job, blocker, victim, the bad input.
    assert sdk_run["stats"]["submissions"]["by_provider"] == {"fal": 4}
