"""The same application with the exchange's logging switched off, for bench/sharing.py only:
its baseline is the same signed read without the data-access log row and the audit append."""

from tongban.wsgi import application  # noqa: F401 (the served callable)


def _quiet(*args: object, **kwargs: object) -> None:
    return None


def _switch_off() -> None:
    from tongban.registries import selectors
    from tongban.sharing import exchange

    class NoAudit:
        append = staticmethod(_quiet)

    selectors.record_access = _quiet
    exchange.audit = NoAudit


_switch_off()
