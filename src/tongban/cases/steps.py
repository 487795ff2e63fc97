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
- a ``WaitingStep`` is a process step that waits for something another app settles (缴费:
  ``payments`` waits for the money). The process reaches a user task whose BPMN id is the
  step's name (or starts with it and ``_``); ``enter`` runs in that transaction before the
  history line (no audit append of its own), and the case shows ``status`` until the other
  app calls ``services.continue_waiting`` when it is settled. A step not ``needed`` for the
  case is passed at once.
- an ``EventObserver`` is told, after the step's transaction committed, that a case's history
  grew (one call per ``CaseEvent`` row, with the case's and the event's ids); it must be quick
  (enqueue a task and return): ``supervision`` keeps its rollups this way.

A 一件事 split makes several cases in one transaction: a submission step or an observer may
then give ``run_many``/``notify_many`` to take all of them in one call (one read for all the
children instead of one each); the split runs every step over all its children in turn.

- a ``ReleaseStep`` delivers a concluded child of a joint case (一件事) when its result is
  released to the applicant (统一出件: together with the other essential children, or at once
  after that); until then the child's ``released_at`` is empty and the app holds what it would
  deliver (``certificates`` issues no licence before). ``release`` runs inside the releasing
  transaction, before its audit append: it may only queue work.
- a ``NoticeStep`` tells the applicant of a joint case about one ``JointNotice`` (the combined
  correction or result notice); it runs in the transaction that creates the notice and may only
  write its own rows (no audit append).

Open Forms' ``plugins/registry.py`` is the model: entries are registered once by a unique name
(a second registration under the same name is a programming error) and looked up by name.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tongban.core.types import User

if TYPE_CHECKING:
    from .models import Application, Attachment, Case, JointNotice


@dataclass(frozen=True)
class MaterialProvider:
    name: str
    # Requirement ids of the application's item the provider holds a document for.
    held: Callable[["Application"], set[int]]
    # Attach what is held and has no current file yet; returns the new (possibly pending) rows.
    attach: Callable[["Application", User | None], list["Attachment"]]
    # The bytes of one of its attachments whose file is still pending, or None if not its own.
    render: Callable[["Attachment"], bytes | None]
    # Why a material it knows a source for is still asked of the applicant (a grant missing,
    # the subject not held): requirement id → one sentence shown beside the upload.
    explain: Callable[["Application"], dict[int, str]] | None = None


@dataclass(frozen=True)
class SubmissionStep:
    name: str
    run: Callable[["Application", "Case", User], None]
    # The same for every (draft, case) of a 一件事 split at once, sharing its reads; when absent
    # ``run`` is called for each pair.
    run_many: Callable[[list[tuple["Application", "Case"]], User], None] | None = None

    def run_all(self, pairs: list[tuple["Application", "Case"]], user: User) -> None:
        if self.run_many is not None:
            self.run_many(pairs, user)
        else:
            for application, case in pairs:
                self.run(application, case, user)


@dataclass(frozen=True)
class WaitingStep:
    name: str
    status: str  # a Case.Status value shown while the case waits
    enter: Callable[["Case", User | None], None]
    # False when this case has nothing to wait for (a fee of 0): the step is passed at once.
    needed: Callable[["Case"], bool]

    def matches(self, spec: str) -> bool:
        return spec == self.name or spec.startswith(self.name + "_")


@dataclass(frozen=True)
class EventObserver:
    name: str
    notify: Callable[[int, int], None]  # (case id, event id), after commit
    # Several (case id, event id) of one transaction at once (a 一件事 split); when absent
    # ``notify`` is called for each.
    notify_many: Callable[[list[tuple[int, int]]], None] | None = None

    def notify_all(self, pairs: list[tuple[int, int]]) -> None:
        if self.notify_many is not None:
            self.notify_many(pairs)
        else:
            for case_id, event_id in pairs:
                self.notify(case_id, event_id)


@dataclass(frozen=True)
class ReleaseStep:
    name: str
    release: Callable[["Case", User | None], None]


@dataclass(frozen=True)
class NoticeStep:
    name: str
    send: Callable[["JointNotice"], None]


class Registry[T: (MaterialProvider, SubmissionStep, WaitingStep, EventObserver, ReleaseStep, NoticeStep)]:
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
waiting_steps: Registry[WaitingStep] = Registry("waiting step")
release_steps: Registry[ReleaseStep] = Registry("release step")
notice_steps: Registry[NoticeStep] = Registry("notice step")
event_observers: Registry[EventObserver] = Registry("event observer")


def waiting_step_for(spec: str) -> WaitingStep | None:
    """The registered waiting step a process task belongs to, if any."""
    return next((step for step in waiting_steps if step.matches(spec)), None)


def material_notes(application: "Application") -> dict[int, str]:
    """The providers' reasons, per requirement id, for materials they cannot supply."""
    notes: dict[int, str] = {}
    for provider in material_providers:
        if provider.explain is not None:
            for requirement_id, note in provider.explain(application).items():
                notes.setdefault(requirement_id, note)
    return notes


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


def result_held(case: "Case") -> bool:
    """A concluded child of a joint case whose result is not released yet (统一出件)."""
    return bool(case.joint_id) and case.released_at is None
