"""Where does a page's time go? Profile requests in-process against the configured database.

    python bench/profile_pages.py '/search/?q=营业执照' '/items/<code>/' [--repeat 20] [--top 25]

For each URL: the time per request (after one warm-up request), the number of SQL queries and
their total time, the slowest queries, and the functions with the most cumulative time
(cProfile). ``{item}`` in a URL is replaced by a random published item's code; ``--cold``
empties the page cache first, so that guide pages are rendered as in the benchmark. Run it with the
same ``DATABASE_URL`` / ``TONGBAN_VAR_DIR`` as the benchmark (``bench/var/sqlite`` after
``make bench BENCH_ARGS=--reuse``).
"""

import argparse
import cProfile
import io
import os
import pstats
import random
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    parser.add_argument(
        "--cold", action="store_true", help="empty the page cache first (as bench/catalog.py does)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tongban.catalog.models import ServiceItem
    from tongban.web import pagecache

    if args.cold:
        pagecache.clear()
    codes = list(ServiceItem.objects.published().values_list("code", flat=True)[:5000])
    rng = random.Random(1)
    client = Client(HTTP_HOST="127.0.0.1")
    for template in args.urls:
        urls = [template.replace("{item}", rng.choice(codes)) for _ in range(args.repeat)]
        first = client.get(urls[0])
        print(f"\n=== {template}  (status {first.status_code}, {len(first.content)} bytes)")
        reset_queries()
        profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            profiler.enable()
            for url in urls:
                client.get(url)
            profiler.disable()
            elapsed = time.perf_counter() - started
        sql_time = sum(float(q["time"]) for q in queries.captured_queries)
        n = len(urls)
        print(
            f"{elapsed / n * 1000:.1f} ms per request; {len(queries.captured_queries) / n:.1f} queries, "
            f"{sql_time / n * 1000:.1f} ms in SQL per request"
        )
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]:
            print(f"  {float(q['time']) * 1000:.1f} ms  {q['sql'][:300]}")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
