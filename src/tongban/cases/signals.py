"""Case events for other apps (notifications, webhooks, certificates).

Both signals carry: case (Case), event (str: "submitted", "accepted", "refused",
"correction_requested", "corrected", "special_started", "special_ended", "forwarded",
"reviewed", "decided", "concluded", "withdrawn"), actor (User or None). ``case_event`` sent for
several cases that took the same step together (a 一件事 split's children) also carries
``batch``: the list of those cases, the same on each send, in the order sent; a receiver may
do the work of the whole batch on its first case and nothing on the others.

One policy for work after a case event: receivers enqueue a task (django.tasks) and return;
the work itself (messages, webhooks, issuing certificates) runs in the worker, never in the
request of the person who took the step. A receiver of ``case_event_recorded`` writes its
task row in the step's transaction, so the work happens if and only if the step commits; a
receiver of ``case_event`` enqueues after commit and relies on a periodic sweep
(``tongban tick``) should the enqueue itself be lost.

Neither signal is a way into the submission: what other apps add to a draft or a submission
(materials held elsewhere, checks that may refuse it) is registered in ``cases.steps`` and
called by name from the services.
"""

from django.dispatch import Signal

# Sent after the step's transaction committed.
case_event = Signal()

# Sent inside the step's transaction, so what a receiver writes (such as the notification task)
# commits or rolls back with the step. Receivers must be quick, must not lock shared rows and
# must not append to the audit log (the step's own append is the transaction's last write).
case_event_recorded = Signal()

# Sent inside a 一件事 split's transaction, once for the joint case instead of one
# ``case_event_recorded`` "submitted" per child (joint, children, actor): the applicant hears of
# one submission naming every child. The same rules as for ``case_event_recorded``.
joint_submitted = Signal()
