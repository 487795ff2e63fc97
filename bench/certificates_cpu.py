"""Certificates in-process: web-process CPU time and SQL statements per verification and per
issued proof, for comparing two versions of the code on a busy machine.

    python bench/certificates_cpu.py N   # prints one JSON line

Uses bench/certificates.py's ``prepare`` (a proof item, a citizen in the population registry,
N issued Ed25519 certificates), then verifies each through ``GET /api/v1/certificates/{id}/verify``
and issues N household proofs through ``POST /api/v1/proofs/{item}`` as the citizen, with
Django's test client. Run blocks alternately per code version (PYTHONPATH at each version's
``src``), each on a fresh SQLite database, as ``bench/results/issue11-certificates-cpu.json``
was measured.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")


def timed(client, method: str, path: str, expect: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        cpu = time.process_time()
        response = getattr(client, method)(path)
        spent = (time.process_time() - cpu) * 1000
    if response.status_code != expect:
        raise SystemExit(f"{method} {path}: HTTP {response.status_code} {response.content[:300]!r}")
    return spent, len(queries)


def main() -> None:
    import certificates as bench_certificates

    count = int(sys.argv[1])
    prepared = bench_certificates.prepare(count)
    from django.test import Client

    from tongban.identity.models import User

    anonymous = Client(HTTP_HOST="127.0.0.1")
    citizen = Client(HTTP_HOST="127.0.0.1")
    citizen.force_login(User.objects.get(username="bench-certificates"))
    result = {"verify": {"cpu": [], "stmts": []}, "issue": {"cpu": [], "stmts": []}}
    for n, identifier in enumerate(prepared["ed25519"]):
        cpu, stmts = timed(anonymous, "get", f"/api/v1/certificates/{identifier}/verify", 200)
        if n >= 3:
            result["verify"]["cpu"].append(cpu)
            result["verify"]["stmts"].append(stmts)
    for n in range(count):
        cpu, stmts = timed(citizen, "post", f"/api/v1/proofs/{prepared['item']}", 201)
        if n >= 3:
            result["issue"]["cpu"].append(cpu)
            result["issue"]["stmts"].append(stmts)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
