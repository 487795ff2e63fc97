"""Names shared by every app for who acts.

``User`` is the platform's user model, named lazily so that ``core`` does not import
``identity`` at run time (it comes later in DESIGN's list of apps). Services take
``actor: User | None`` (None: the system itself) instead of ``Any``.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tongban.identity.models import User as UserModel

type User = UserModel

SYSTEM_LABEL = "系统"


def actor_label(user: "User | None") -> str:
    """How a person (or the system, for None) is named in histories, events and audit lines."""
    if user is None or getattr(user, "pk", None) is None:
        return SYSTEM_LABEL
    return str(getattr(user, "display_name", None) or user.get_username())
