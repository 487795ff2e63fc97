"""Certificates benchmark: verifications and issuances per second through the JSON API.

Serves the app as ``tongban serve`` does (granian WSGI, 2 workers, 1 blocking thread) and
measures it with ``wrk`` from a separate process:

- verification: ``GET /api/v1/certificates/{identifier}/verify`` cycling over a few thousand
  certificates issued beforehand (each answer re-checks the seal over the stored content);
- issuance: ``POST /api/v1/proofs/{item}`` by a signed-in citizen — the online household proof,
  i.e. a logged population-registry read, a serial from the database, the seal, the certificate
  row and its first hash-chained event — every request a new certificate;
- rounds alternate with the bare ``/healthz`` view so that the machine's noise shows in both.

Ed25519 (the default) gives the headline figures; SM2 is measured as well with a second server
started with ``TONGBAN_SEAL_ALGORITHM=sm2``. Run by ``bench/run.py`` on a fresh SQLite
database; also usable alone against whatever ``DATABASE_URL`` names (migrated):
``python bench/certificates.py --out result.json [--write]``.
"""

import argparse
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import Server, database_info, fetch, free_port, machine_info
from catalog import wrk as wrk_get
from common import replace_doc_block, save_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "certificates.json"
DOC = ROOT / "docs" / "performance.md"
TABLE_START = "<!-- bench:certificates:start -->"
TABLE_END = "<!-- bench:certificates:end -->"
TARGETS = {"verify_per_s": 1500.0}
BARE = "/healthz"

POST_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Cookie"] = "%(cookie)s"
wrk.headers["X-CSRFToken"] = "%(csrf)s"
wrk.headers["Content-Length"] = "0"
wrk.headers["Referer"] = "http://127.0.0.1/"
created = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body) if status == 201 then created = created + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("created") end
  io.write(string.format("created %%d\n", total))
end
"""


def log(message: str) -> None:
    print(f"[certificates {time.strftime('%H:%M:%S')}] {message}", flush=True)


def prepare(count: int) -> dict:
    """Issue ``count`` Ed25519 and a few hundred SM2 certificates; a citizen and a proof item."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone
    from stdnum.cn import ric
    from stdnum.cn import uscc as stdnum_uscc

    from tongban.catalog.models import ServiceItem
    from tongban.certificates import services
    from tongban.certificates.models import Certificate, CertificateType, HolderKind
    from tongban.certificates.schemas import HOUSEHOLD_PROOF
    from tongban.departments.models import Department
    from tongban.identity.models import User
    from tongban.regions.models import Region
    from tongban.registries.models import PopulationRecord

    parent = None
    for code, name in (("51", "四川省"), ("5116", "广安市"), ("511602", "广安区")):
        parent, _ = Region.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": len(code) // 2 if len(code) < 6 else 3,
                "parent": parent,
                "full_name": f"{parent.full_name if parent else ''}{name}",
            },
        )
    region = parent

    def department(name: str, serial: int) -> Department:
        body = f"11511602{serial:09d}"
        uscc = body + stdnum_uscc.calc_check_digit(body)
        found, _ = Department.objects.get_or_create(uscc=uscc, defaults={"name": name, "region": region})
        return found

    ed_dept, sm2_dept = department("基准测试发证局", 990001), department("基准测试国密发证局", 990002)
    item, _ = ServiceItem.objects.get_or_create(
        code="BENCH-CERT-HOUSEHOLD-PROOF",
        defaults={
            "name": "户籍证明（基准测试）",
            "item_type": "20",
            "service_objects": ["1"],
            "department": ed_dept,
            "region": region,
            "status": ServiceItem.Status.PUBLISHED,
            "case_kind": "1",
            "promised_limit": 0,
            "legal_limit": 0,
            "result_type": ServiceItem.ResultType.PROOF,
            "online_depth": 4,
            "visits_required": 0,
        },
    )
    sm2_item, _ = ServiceItem.objects.get_or_create(
        code="BENCH-CERT-HOUSEHOLD-PROOF-SM2",
        defaults={
            **{
                f.name: getattr(item, f.name)
                for f in ServiceItem._meta.concrete_fields
                if f.name
                in {
                    "name",
                    "item_type",
                    "service_objects",
                    "region",
                    "status",
                    "case_kind",
                    "promised_limit",
                    "legal_limit",
                    "result_type",
                    "online_depth",
                    "visits_required",
                }
            },
            "department": sm2_dept,
        },
    )

    def proof_type(dept: Department, code: str, for_item: ServiceItem) -> CertificateType:
        ctype, _ = CertificateType.objects.get_or_create(
            code=code,
            defaults={
                "name": "户籍证明",
                "department": dept,
                "field_schema": HOUSEHOLD_PROOF,
                "validity": "days",
                "validity_count": 90,
                "template": "proof",
                "registry_source": "population",
            },
        )
        ctype.issued_by_items.add(for_item)
        return ctype

    ed_type = proof_type(ed_dept, "BENCH0001", item)
    sm2_type = proof_type(sm2_dept, "BENCH0002", sm2_item)

    body = "51160220000101123"
    id_number = body + ric.calc_check_digit(body + "0")
    PopulationRecord.objects.get_or_create(
        id_number=id_number,
        defaults={
            "name": "基准测试人",
            "birth_date": "2000-01-01",
            "sex": "M",
            "address": "广安区建设路 1 号",
            "region": region,
        },
    )
    user, _ = User.objects.get_or_create(
        username="bench-certificates",
        defaults={"kind": "citizen", "real_name": "基准测试人", "id_number": id_number, "real_name_level": 2},
    )

    def issue(ctype: CertificateType, n: int) -> list[str]:
        have = list(Certificate.objects.filter(type=ctype).values_list("identifier", flat=True)[:n])
        holder = services.Holder(HolderKind.PERSON, "基准测试人", id_number, user=user)
        today = timezone.localdate()
        while len(have) < n:
            with transaction.atomic():
                for _ in range(min(200, n - len(have))):
                    made = services._issue(
                        ctype=ctype,
                        holder=holder,
                        fields={"name": "基准测试人", "id_number": id_number},
                        valid_from=today,
                        valid_until=ctype.valid_until(today),
                        origin="proof",
                        item=item,
                    )
                    have.append(made.identifier)
        return have

    started = time.monotonic()
    ed_ids = issue(ed_type, count)
    settings.TONGBAN_SEAL_ALGORITHM = "sm2"
    sm2_ids = issue(sm2_type, min(count, 300))
    log(
        f"prepared {len(ed_ids)} Ed25519 and {len(sm2_ids)} SM2 certificates in {time.monotonic() - started:.0f} s"
    )
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    info = database_info()
    connection.close()
    return {
        "ed25519": ed_ids,
        "sm2": sm2_ids,
        "item": item.code,
        "sm2_item": sm2_item.code,
        "session": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "database": info,
    }


def wrk_post(
    port: int, path: str, cookie: str, csrf: str, seconds: int, connections: int, workdir: Path
) -> dict:
    script = workdir / "post.lua"
    script.write_text(POST_SCRIPT % {"cookie": cookie, "csrf": csrf})
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    created = int(re.search(r"created (\d+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad and int(bad.group(1)):
        raise RuntimeError(f"issuance: {bad.group(1)} requests were not answered 201:\n{out}")
    return {"per_s": created / seconds, "created": created}


def check_answers(port: int, identifiers: list[str]) -> None:
    for identifier in identifiers[:5]:
        status, body = fetch(port, f"/api/v1/certificates/{identifier}/verify")
        if status != 200 or json.loads(body)["status"] != "valid":
            raise RuntimeError(f"verification of {identifier} answered {status}: {body[:300]!r}")


def measure(args: argparse.Namespace, prepared: dict, workdir: Path) -> dict:
    csrf = secrets.token_hex(16)
    cookie = f"{prepared['session']}; {prepared['csrf_cookie']}={csrf}"
    ed_paths = [f"/api/v1/certificates/{i}/verify" for i in prepared["ed25519"]]
    sm2_paths = [f"/api/v1/certificates/{i}/verify" for i in prepared["sm2"]]
    rounds: dict[str, list[float]] = {
        "verify": [],
        "verify_sm2": [],
        "bare": [],
        "issue": [],
        "issue_sm2": [],
    }

    port = free_port()
    server = Server(port, args.workers, args.threads, workdir / "granian.log")
    try:
        server.wait_ready(BARE)
        check_answers(port, prepared["ed25519"])
        check_answers(port, prepared["sm2"])
        wrk_get(port, ed_paths, 3, args.connections, workdir)  # warm-up: imports, connections, caches
        for n in range(args.rounds):
            log(f"round {n + 1}/{args.rounds}")
            rounds["verify"].append(wrk_get(port, ed_paths, args.seconds, args.connections, workdir)["rps"])
            rounds["bare"].append(wrk_get(port, [BARE], args.seconds, args.connections, workdir)["rps"])
            rounds["issue"].append(
                wrk_post(
                    port,
                    f"/api/v1/proofs/{prepared['item']}",
                    cookie,
                    csrf,
                    args.seconds,
                    args.connections,
                    workdir,
                )["per_s"]
            )
            rounds["verify_sm2"].append(
                wrk_get(port, sm2_paths, args.seconds, args.connections, workdir)["rps"]
            )
    finally:
        server.stop()

    os.environ["TONGBAN_SEAL_ALGORITHM"] = "sm2"
    port = free_port()
    server = Server(port, args.workers, args.threads, workdir / "granian-sm2.log")
    try:
        server.wait_ready(BARE)
        for _ in range(args.rounds):
            rounds["issue_sm2"].append(
                wrk_post(
                    port,
                    f"/api/v1/proofs/{prepared['sm2_item']}",
                    cookie,
                    csrf,
                    args.seconds,
                    args.connections,
                    workdir,
                )["per_s"]
            )
    finally:
        server.stop()
        os.environ.pop("TONGBAN_SEAL_ALGORITHM", None)
    return rounds


def run(args: argparse.Namespace) -> dict:
    machine = machine_info()
    prepared = prepare(args.certificates)
    with tempfile.TemporaryDirectory(prefix="tongban-bench-certificates-") as tmp:
        rounds = measure(args, prepared, Path(tmp))
    median = {k: statistics.median(v) for k, v in rounds.items()}
    result = {
        "benchmark": "certificates",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine,
        "database": prepared["database"],
        "server": {"workers": args.workers, "blocking_threads": args.threads, "interface": "wsgi"},
        "wrk": {"connections": args.connections, "seconds": args.seconds, "rounds": args.rounds},
        "certificates": len(prepared["ed25519"]),
        "verify_per_s": round(median["verify"], 1),
        "issue_per_s": round(median["issue"], 1),
        "verify_per_s_sm2": round(median["verify_sm2"], 1),
        "issue_per_s_sm2": round(median["issue_sm2"], 1),
        "bare_rps": round(median["bare"], 1),
        "rounds": rounds,
        "targets": TARGETS,
    }
    result["meets_targets"] = {"verify_per_s": result["verify_per_s"] >= TARGETS["verify_per_s"]}
    return result


def table(r: dict) -> str:
    ok = "✓" if r["meets_targets"]["verify_per_s"] else "✗"
    m = r["machine"]
    db = f"{r['database']['vendor']} {r['database'].get('version', '').split(' ')[0]}"
    return "\n".join(
        [
            "| what | Ed25519 (default) | SM2 / SM3 | bare `/healthz` same run |",
            "|---|---:|---:|---:|",
            f"| verifications (`GET …/{{identifier}}/verify`) | {r['verify_per_s']:,.0f}/s {ok} (≥ 1,500) "
            f"| {r['verify_per_s_sm2']:,.0f}/s | {r['bare_rps']:,.0f} req/s |",
            f"| issuances (`POST /api/v1/proofs/{{item}}`) | {r['issue_per_s']:,.0f}/s | {r['issue_per_s_sm2']:,.0f}/s | |",
            "",
            f"Measured {r['date']} at commit `{m['commit']}` on {m['cores']} cores ({m['cpu'] or 'unknown CPU'}), "
            f"{db}, granian WSGI {r['server']['workers']} workers × {r['server']['blocking_threads']} thread, "
            f"wrk -c{r['wrk']['connections']}, median of {r['wrk']['rounds']} × {r['wrk']['seconds']} s rounds, "
            f"{r['certificates']:,} certificates; load average when the measurement started: "
            f"{m.get('load_average_1m', '?')}.",
        ]
    )


def write(result: dict) -> None:
    save_result(RESULTS, result)
    replace_doc_block(DOC, TABLE_START, TABLE_END, table(result))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="write the result as JSON here (default: stdout)")
    p.add_argument(
        "--write", action="store_true", help="also write bench/results/certificates.json and the docs table"
    )
    p.add_argument(
        "--certificates", type=int, default=2000, help="certificates to verify (issued beforehand)"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    result = run(args)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    print(table(result))
    if args.write:
        write(result)
        log(f"wrote {RESULTS.relative_to(ROOT)} and {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
