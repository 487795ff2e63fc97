"""Periodic duties run by ``tongban tick``; each app registers its own in ``AppConfig.ready``.

Keeping the registry here lets low-level apps (ratings' 7-day default, notifications' retries)
add duties without the tick command importing apps above it.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)
_DUTIES: dict[str, Callable[[], int]] = {}


def register(name: str, duty: Callable[[], int]) -> None:
    _DUTIES[name] = duty


def run_all() -> dict[str, int]:
    """Run every duty; one failing duty is logged and does not stop the others."""
    results = {}
    for name, duty in sorted(_DUTIES.items()):
        try:
            results[name] = duty()
        except Exception:
            logger.exception("periodic duty %s failed", name)
            results[name] = -1
    return results
