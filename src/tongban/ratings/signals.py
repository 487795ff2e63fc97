from django.dispatch import Signal

# Sent after commit with ``rectification`` when a department completes a 差评 follow-up.
rectification_completed = Signal()
