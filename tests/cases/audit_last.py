"""Recording the writes of each transaction, to check ``core.audit``'s rule that the audit
append is the last write of its transaction (the chain head stays locked until commit).

Each statement is put in the transaction it runs in: the outermost ``atomic`` block opened
inside the recorded block (under pytest-django the test's own transaction is outside it, so a
service's ``@transaction.atomic`` is a savepoint there and a transaction in production).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection

from tongban.core.models import AuditEntry, AuditHead

AUDIT_TABLES = (AuditEntry._meta.db_table, AuditHead._meta.db_table)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@dataclass
class Transaction:
    statements: list[str] = field(default_factory=list)

    @staticmethod
    def is_audit(sql: str) -> bool:
        return any(table in sql for table in AUDIT_TABLES)

    @property
    def appends(self) -> bool:
        return any(WRITE.match(sql) and self.is_audit(sql) for sql in self.statements)

    def writes_after_audit(self) -> list[str]:
        """Writes to other tables after the first statement on the audit tables."""
        late, audited = [], False
        for sql in self.statements:
            if self.is_audit(sql):
                audited = True
            elif audited and WRITE.match(sql):
                late.append(sql)
        return late


@contextmanager
def transactions() -> Iterator[list[Transaction]]:
    found: list[Transaction] = []
    baseline = len(connection.atomic_blocks)
    current: list[int | None] = [None]

    def record(execute, sql, params, many, context):
        blocks = connection.atomic_blocks
        key = id(blocks[baseline]) if len(blocks) > baseline else None
        if key is not None and key != current[0]:
            found.append(Transaction())
        current[0] = key
        if key is not None:
            found[-1].statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield found


def check_audit_last(found: list[Transaction]) -> None:
    audited = [t for t in found if t.appends]
    assert audited, "the write path appended nothing to the audit log"
    for transaction in audited:
        late = transaction.writes_after_audit()
        assert not late, "writes after the audit append:\n" + "\n".join(late)
