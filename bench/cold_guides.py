"""Cold guide pages in-process: per-request wall time, CPU time and SQL statements.

    python bench/cold_guides.py SEED N   # prints one JSON line: {"wall": [...], "cpu": [...], "stmts": [...]}

Empties the page cache, then renders N distinct published guides (chosen with SEED) after five
warm-up pages, each rendered and stored for the first time as the benchmark's guide pages are.
CPU time (``time.process_time``) is the web process's own work and is much less disturbed by a
busy machine than wall time; compare two versions of the code by running blocks of this script
alternately against the same database (PYTHONPATH pointing at each version's ``src``), as
``bench/results/issue11-guide-store.json`` was measured.
"""

import json
import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tongban.catalog.models import ServiceItem
    from tongban.web import pagecache

    seed, count = int(sys.argv[1]), int(sys.argv[2])
    codes = sorted(ServiceItem.objects.published().values_list("code", flat=True)[:20000])
    picked = random.Random(seed).sample(codes, count + 5)
    pagecache.clear()
    client = Client(HTTP_HOST="127.0.0.1")
    for code in picked[:5]:
        client.get(f"/items/{code}/")
    walls, cpus, statements = [], [], []
    for code in picked[5:]:
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(f"/items/{code}/")
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{code}: HTTP {response.status_code}")
        statements.append(len(queries))
    print(json.dumps({"wall": walls, "cpu": cpus, "stmts": statements}))


if __name__ == "__main__":
    main()
