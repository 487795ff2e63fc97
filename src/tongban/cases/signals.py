"""Case events for other apps (notifications, webhooks, ratings) — sent after commit."""

from django.dispatch import Signal

# Sent with: case (Case), event (str: "submitted", "accepted", "refused", "correction_requested",
# "corrected", "special_started", "special_ended", "forwarded", "reviewed", "decided",
# "concluded", "withdrawn"), actor (User or None).
case_event = Signal()
