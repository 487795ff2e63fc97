from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def account(request: HttpRequest) -> dict:
    """The header's account area: who acts (self or an enterprise) and whom they may act for.

    Lazy, so pages that do not show the header pay no query.
    """

    def actor():
        from .actors import current_actor

        return current_actor(request)

    def choices():
        from .actors import acting_choices

        return acting_choices(request.user)

    return {"current_actor": SimpleLazyObject(actor), "acting_choices": SimpleLazyObject(choices)}
