"""What the benchmark scripts share: saving a result, replacing a script's table in
docs/performance.md, and the wrk script that posts prepared requests once each."""

import json
import re
from pathlib import Path


def save_result(path: Path, result: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")


def replace_doc_block(doc: Path, start: str, end: str, body: str, heading: str = "") -> None:
    """Put ``body`` between the ``start`` and ``end`` markers of ``doc``; a document without
    the markers gets them appended, under ``heading`` when one is given."""
    block = f"{start}\n{body}\n{end}"
    text = doc.read_text() if doc.exists() else ""
    if start in text and end in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + (f"\n\n{heading}\n\n" if heading else "\n\n") + block + "\n"
    doc.write_text(text)


# The parts of a wrk script that cycle through prepared requests (built by the script's own
# ``init``, which reads the file named by its first argument) and count 201 answers; it ends
# with one ``RESULT …`` line that RESULT_LINE reads.
_CYCLE = r"""
local reqs = {}
local n = 0
created, other, exhausted = 0, 0, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

%(init)s

function request()
  n = n + 1
  if n > #reqs then
    exhausted = exhausted + 1
    n = 1
  end
  return reqs[n]
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  else
    other = other + 1
    if other <= 3 then
      io.stderr:write(status .. " " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local c, o, e = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    e = e + t:get("exhausted")
  end
  io.write(string.format(
    "RESULT created=%%d other=%%d exhausted=%%d p50=%%.3f p95=%%.3f p99=%%.3f max=%%.3f\n",
    c, o, e, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""

RESULT_LINE = re.compile(
    r"RESULT created=(\d+) other=(\d+) exhausted=(\d+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+) max=([\d.]+)"
)


def posting_script(init: str) -> str:
    """A wrk script whose ``init(args)`` (Lua, given here) fills ``reqs`` with prepared requests."""
    return _CYCLE % {"init": init.strip()}


WRK_TIMEOUT_S = 30


def wrk_post(
    port: int, init: str, lines: list[str], seconds: int, connections: int, workdir: Path, name: str
) -> dict:
    """One closed-loop wrk round over ``lines`` (one prepared request each, read by ``init``):
    counts of 201 answers, other answers and reuses of a line, latency percentiles in ms, the
    rate wrk measured, and the first failures wrk printed."""
    import subprocess

    script, data = workdir / f"{name}.lua", workdir / f"{name}.tsv"
    script.write_text(posting_script(init))
    data.write_text("\n".join(lines) + "\n")
    # wrk's latency histogram keeps only answers faster than its timeout (2 s by default): a
    # longer timeout, so that slow answers count in the percentiles instead of vanishing.
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    proc = subprocess.run([*cmd, "--", str(data)], capture_output=True, text=True, check=True)
    match = RESULT_LINE.search(proc.stdout)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", proc.stdout)
    if match is None or rate is None:
        raise RuntimeError(f"wrk gave no result: {proc.stdout[-1000:]} {proc.stderr[-1000:]}")
    created, other, exhausted = (int(match.group(i)) for i in (1, 2, 3))
    p50, p95, p99, top = (float(match.group(i)) for i in (4, 5, 6, 7))
    return {
        "created": created,
        "other": other,
        "exhausted": exhausted,
        "rps": float(rate.group(1)),
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "max_ms": top,
        "errors": proc.stderr[:900],
    }
