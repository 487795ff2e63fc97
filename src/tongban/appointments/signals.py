"""Booking events for apps later in the order (notifications sends the messages).

``booking_event_recorded`` is sent inside the transaction of the change, with ``booking``
(Booking) and ``event``: "booked", "rescheduled", "cancelled", "reminder", "no_show",
"suspended" (then also ``until``, the end of the suspension). Receivers write their rows in that
transaction (so a message exists if and only if the change committed), must be quick and must
not append to the audit log: the change's own append is the transaction's last write.
"""

from django.dispatch import Signal

booking_event_recorded = Signal()
