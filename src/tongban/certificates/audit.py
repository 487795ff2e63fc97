"""Checking the hash chain of certificate events (``tongban certificates verify-audit``)."""

from .models import CertificateEvent
from .services import GENESIS


def verify_chains() -> list[str]:
    """One line per broken link: a row changed, removed or inserted out of order."""
    problems = []
    previous: dict[int, str] = {}
    for event in CertificateEvent.objects.order_by("certificate_id", "id").iterator():
        expected_prev = previous.get(event.certificate_id, GENESIS)
        if event.prev_hash != expected_prev:
            problems.append(f"证照 {event.certificate_id} 记录 {event.pk}：前一条记录的哈希不符")
        if event.compute_hash() != event.hash:
            problems.append(f"证照 {event.certificate_id} 记录 {event.pk}：内容与哈希不符")
        previous[event.certificate_id] = event.hash
    return problems
