"""Case events for other apps (notifications, webhooks, certificates).

Both signals carry: case (Case), event (str: "submitted", "accepted", "refused",
"correction_requested", "corrected", "special_started", "special_ended", "forwarded",
"reviewed", "decided", "concluded", "withdrawn"), actor (User or None).
"""

from django.dispatch import Signal

# Sent after the step's transaction committed.
case_event = Signal()

# Sent inside the step's transaction, so what a receiver writes (such as the notification task)
# commits or rolls back with the step. Receivers must be quick and must not lock shared rows.
case_event_recorded = Signal()
