"""Tasks for the queue's tests (imported by the worker processes the tests start, too)."""

import os
import time
from pathlib import Path

from django.db import OperationalError
from django.tasks import task

CALLS: list[str] = []


@task()
def always_fails() -> None:
    CALLS.append("always_fails")
    raise RuntimeError("故意失败")


@task()
def loses_the_database_once() -> str:
    """Raises what a restarting database raises, the first time only."""
    CALLS.append("loses_the_database_once")
    if CALLS.count("loses_the_database_once") == 1:
        raise OperationalError("server closed the connection unexpectedly")
    return "ok"


@task()
def slow_append(directory: str) -> int:
    """Writes ``started <pid>``, waits until ``directory/release`` exists, writes ``done``."""
    log = Path(directory) / "log"
    with log.open("a") as out:
        out.write(f"started {os.getpid()}\n")
    while not (Path(directory) / "release").exists():
        time.sleep(0.05)
    with log.open("a") as out:
        out.write("done\n")
    return os.getpid()
