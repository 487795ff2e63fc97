"""Extension points of applying: what apps above ``cases`` add to a draft and a submission.

``cases`` comes before ``certificates`` (and later ``sharing`` and ``payments``) in DESIGN §3,
so it cannot call them; instead they register typed entries here from their
``AppConfig.ready`` and the services call every entry by name, in the open, at a fixed place:

- a ``MaterialProvider`` supplies required materials the platform already holds (免提交,
  国务院令第716号 第7条): ``held`` says which requirements it covers (``missing_materials``
  never reports them), ``attach`` adds them to a draft as attachment rows when it is started
  and again inside the submission. Slow work (rendering a file) is never done there: the row is
  written pending its file and the provider's own task fills it after commit; ``render`` gives
  the bytes of a still pending file to a download that comes first.
- a ``SubmissionStep`` runs inside the submission's transaction after the case row exists and
  before the history line and the audit append (which stay the last writes, ``core.audit``);
  it may refuse the submission with ``InvalidInput``, which undoes everything.

Open Forms' ``plugins/registry.py`` is the model: entries are registered once by a unique name
(a second registration under the same name is a programming error) and looked up by name.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tongban.core.types import User

if TYPE_CHECKING:
    from .models import Application, Attachment, Case


@dataclass(frozen=True)
class MaterialProvider:
    name: str
    # Requirement ids of the application's item the provider holds a document for.
    held: Callable[["Application"], set[int]]
    # Attach what is held and has no current file yet; returns the new (possibly pending) rows.
    attach: Callable[["Application", User | None], list["Attachment"]]
    # The bytes of one of its attachments whose file is still pending, or None if not its own.
    render: Callable[["Attachment"], bytes | None]


@dataclass(frozen=True)
class SubmissionStep:
    name: str
    run: Callable[["Application", "Case", User], None]


class Registry[T: (MaterialProvider, SubmissionStep)]:
    """Entries by unique name, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, entry: T) -> T:
        if entry.name in self._entries:
            raise ValueError(f"{self.kind} {entry.name!r} is already registered")
        self._entries[entry.name] = entry
        return entry

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))

    def __len__(self) -> int:
        return len(self._entries)


material_providers: Registry[MaterialProvider] = Registry("material provider")
submission_steps: Registry[SubmissionStep] = Registry("submission step")


def render_pending(attachment: "Attachment") -> bytes | None:
    """The content of an attachment whose file a provider's task has not written yet (for a
    download that comes first), or None when the stored file is there to be read."""
    if attachment.file:
        return None
    for provider in material_providers:
        content = provider.render(attachment)
        if content is not None:
            return content
    return None
