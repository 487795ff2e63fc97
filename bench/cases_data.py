"""Data for the cases benchmark: a million cases in bulk, drafts ready to submit, a queue user.

Everything here runs inside Django (``django.setup()`` first) against PostgreSQL.

- ``ensure_cases`` tops the case table up to the wanted size with ``COPY`` (applications and
  cases), over the published items of the loaded catalogue. The mix: most cases closed (办结,
  不予受理, 不予许可, 转报, 撤回) over three years, about 5 % open across every step of the
  承诺件 process with real deadlines and deadline colours; items drawn with a long tail, so some
  departments are busy and most are quiet. The queue user's departments receive a fixed share.
  Open cases carry a real SpiffWorkflow state: the process is started once and driven to each
  step once, and that serialised state is reused for every case waiting at that step. Closed
  cases carry an empty state (nothing reads it after the end; in production it would sit in
  the TOAST table, outside the rows the queue reads).
- ``prepare_submissions`` makes citizens with OIDC access tokens (``api`` scope) and complete
  drafts (valid form data, every required material attached) for the submit load.
- ``queue_user`` returns a staff account with every processing role in the queue departments
  and a session verified with a TOTP device, as after a real staff login.
"""

import contextlib
import datetime as dt
import functools
import hashlib
import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

BENCH_PREFIX = "bench-"
QUEUE_USERNAME = "bench-queue"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力斌鹏宇浩凯婷雪琳晨欣怡子涵梓轩思远嘉俊"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# Share of cases by final or current status (closed first, then the open steps).
CLOSED_MIX = {"concluded": 88.5, "refused": 2.0, "denied": 1.0, "forwarded": 0.5, "withdrawn": 3.0}
OPEN_MIX = {
    "pending_intake": 30,
    "correction": 10,
    "in_review": 30,
    "special": 4,
    "pending_decision": 15,
    "pending_issue": 11,
}


def log(message: str) -> None:
    print(f"[cases {time.strftime('%H:%M:%S')}] {message}", flush=True)


class CachedCalendar:
    """The working-day calendar with every answer memoised and its window loaded once.

    A million cases ask about a few thousand distinct dates, so while generating, every
    ``WorkCalendar`` shares one calendar that covers all the years involved (no snapshot or
    version check per window) and each answer is computed once; the arithmetic stays the
    library's own.
    """

    def __init__(self, start: dt.date, end: dt.date) -> None:
        from tongban.workdays import calendar

        full = calendar.WorkCalendar(start, end)
        is_workday = functools.cache(full.is_workday)

        class Preloaded(calendar.WorkCalendar):
            def __init__(self, start: dt.date, end: dt.date) -> None:
                self.start, self.end = start, end
                self.overrides, self.published = full.overrides, full.published

            def is_workday(self, day: dt.date) -> bool:
                return is_workday(day)

        self.module, self.preloaded = calendar, Preloaded
        self.add_workdays = functools.cache(calendar.add_workdays)
        self.add_period = functools.cache(calendar.add_period)
        self.subtract_workdays = functools.cache(calendar.subtract_workdays)
        self.workdays_between = functools.cache(calendar.workdays_between)

    @contextlib.contextmanager
    def installed(self, clock):
        """Make ``clock`` use this calendar for the duration."""
        original_module, original_class = clock.calendar, self.module.WorkCalendar
        clock.calendar, self.module.WorkCalendar = self, self.preloaded
        try:
            yield
        finally:
            clock.calendar, self.module.WorkCalendar = original_module, original_class


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def id_number(serial: int) -> str:
    """A valid, unique GB 11643 number per serial (1,000 per birth date)."""
    from tongban.registries.validators import make_id_number

    birth = dt.date(1970, 1, 1) + dt.timedelta(days=serial // 1000)
    return make_id_number("110105", birth, serial % 1000)


# ---------------------------------------------------------------- workflow states


@dataclass(frozen=True)
class StepState:
    state: str
    spec: str
    title: str
    role: str


def step_states() -> tuple[dict[str, object], dict[str, dict[str, StepState]]]:
    """Definitions of the two shipped templates and, per template, the state at each step."""
    from tongban.workflow.engine import get_process
    from tongban.workflow.services import ensure_template

    definitions = {name: ensure_template(name) for name in ("instant", "promised")}
    states: dict[str, dict[str, StepState]] = {}

    def at(process, state: str) -> StepState:
        task = process.ready(state)[0]
        return StepState(state, task.spec, task.title, task.role)

    instant = get_process(definitions["instant"].bpmn)
    start, _ = instant.start({"item": ""})
    states["instant"] = {"pending_intake": at(instant, start)}

    promised = get_process(definitions["promised"].bpmn)
    start, _ = promised.start({"item": ""})
    review = promised.complete(start, "intake", "accept").state
    decide = promised.complete(review, "review", "pass").state
    states["promised"] = {
        "pending_intake": at(promised, start),
        "correction": at(promised, promised.complete(start, "intake", "correct").state),
        "in_review": at(promised, review),
        "special": at(promised, promised.complete(review, "review", "special").state),
        "pending_decision": at(promised, decide),
        "pending_issue": at(promised, promised.complete(decide, "decide", "grant").state),
    }
    return definitions, states


# ---------------------------------------------------------------- the million cases


@dataclass
class Catalogue:
    items: list  # ServiceItem objects with the fields deadlines need
    queue_departments: list[int]
    queue_items: list
    other_items: list


def catalogue(seed: int) -> Catalogue:
    """Published items on the shipped templates; the queue departments are two busy ones of one region."""
    from django.db.models import Count

    from tongban.catalog.models import ServiceItem
    from tongban.departments.models import Department
    from tongban.workflow.models import ItemProcess

    custom = set(ItemProcess.objects.values_list("item_id", flat=True))
    items = [
        i
        for i in ServiceItem.objects.published()
        .only(
            "id",
            "code",
            "department_id",
            "region_code",
            "case_kind",
            "promised_limit",
            "promised_limit_unit",
            "legal_limit",
            "legal_limit_unit",
        )
        .order_by("id")
        if i.pk not in custom
    ]
    if not items:
        raise SystemExit("数据库中没有已发布的事项：先载入目录（tongban demo）")
    busiest = list(
        Department.objects.filter(items__status=ServiceItem.Status.PUBLISHED)
        .annotate(n=Count("items"))
        .order_by("-n", "id")
        .values_list("id", "region_id", "n")[:200]
    )
    first = busiest[0]
    second = next((d for d in busiest[1:] if d[1] == first[1]), busiest[1] if len(busiest) > 1 else None)
    queue_departments = [first[0]] + ([second[0]] if second else [])
    queue_items = [i for i in items if i.department_id in queue_departments]
    other_items = [i for i in items if i.department_id not in queue_departments]
    rng = random.Random(seed)
    rng.shuffle(other_items)  # popularity rank is random, fixed by the seed
    rng.shuffle(queue_items)
    return Catalogue(items, queue_departments, queue_items, other_items)


def _number_counters() -> dict[tuple[str, dt.date], int]:
    """The highest sequence per region and day among existing case numbers, to continue from."""
    counters: dict[tuple[str, dt.date], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT split_part(number, '-', 1), split_part(number, '-', 2), max(split_part(number, '-', 3)::int) "
            "FROM cases_case WHERE number ~ '^[0-9]+-[0-9]{8}-[0-9]+$' GROUP BY 1, 2"
        )
        for region, day, top in cursor.fetchall():
            counters[(region, dt.datetime.strptime(day, "%Y%m%d").date())] = top
    return counters


def _long_tail(count: int) -> list[float]:
    return [1.0 / (rank + 20) for rank in range(count)]


def _bulk_users(prefix: str, count: int, kind: str, rng: random.Random, serial_base: int) -> list:
    """``count`` accounts named ``prefix<n>``, created when missing; returned in order."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    names = [f"{prefix}{n}" for n in range(count)]
    existing = set(user_model.objects.filter(username__in=names).values_list("username", flat=True))
    missing = []
    for n, name in enumerate(names):
        if name in existing:
            continue
        user = user_model(username=name, kind=kind, real_name=person_name(rng), password="!")
        if kind == "citizen":
            user.id_number = id_number(serial_base + n)
            user.mobile = f"166{serial_base + n:08d}"
            user.real_name_level = 2
        missing.append(user)
    user_model.objects.bulk_create(missing, batch_size=2000)
    by_name = {u.username: u for u in user_model.objects.filter(username__in=names)}
    return [by_name[name] for name in names]


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if not f.primary_key]


def _reserve_ids(table: str, count: int) -> int:
    """Take ``count`` ids from the table's sequence at once; returns the first.

    The table lock lasts only this short transaction (``setval`` is not undone by a rollback),
    so inserts by anyone else simply continue after the reserved block.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        seq = cursor.fetchone()[0]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [seq, top + count])
    return top + 1


CHUNK = 100_000


def ensure_cases(target: int, *, seed: int, queue_share: float, open_share: float) -> dict:
    """Add cases until the table holds ``target``; returns what was generated and how fast."""
    from tongban.cases.models import Application, Case

    if connection.vendor != "postgresql":
        raise SystemExit("the cases benchmark needs PostgreSQL (DATABASE_URL)")
    have = Case.objects.count()
    cat = catalogue(seed)
    info = {"cases_before": have, "generated": 0, "seconds": 0.0, "queue_departments": cat.queue_departments}
    if have >= target:
        return info
    started = time.monotonic()
    count = target - have
    rng = random.Random(seed + have)
    log(f"generating {count:,} cases over {len(cat.items):,} published items")
    generator = CaseGenerator(cat, rng, open_share=open_share, queue_share=queue_share)
    done = 0
    while done < count:
        # One transaction per chunk: an interrupted run keeps what it made and the next tops up.
        rows = generator.rows(min(CHUNK, count - done))
        app_id = _reserve_ids(Application._meta.db_table, len(rows))
        with transaction.atomic():
            _copy(Application, app_rows(rows, app_id), with_id=True)
            _copy(Case, case_rows(rows, app_id))
        done += len(rows)
        log(f"  {done:,}/{count:,} cases ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Application._meta.db_table}")
        cursor.execute(f"ANALYZE {Case._meta.db_table}")
    info["generated"] = count
    info["seconds"] = round(time.monotonic() - started, 1)
    log(f"generated {count:,} cases in {info['seconds']:.0f} s")
    return info


class CaseGenerator:
    """Field values of new cases (also used for their applications), chunk by chunk."""

    def __init__(self, cat: Catalogue, rng: random.Random, *, open_share: float, queue_share: float):
        self.cat, self.rng = cat, rng
        self.open_share, self.queue_share = open_share, queue_share
        self.applicants = _bulk_users(f"{BENCH_PREFIX}applicant-", 20_000, "citizen", rng, 100_000)
        self.staff = _bulk_users(f"{BENCH_PREFIX}staff-", 20, "staff", rng, 0)
        self.queue = queue_user_account()
        self.definitions, self.states = step_states()
        self.today = timezone.localdate()
        self.calendar = CachedCalendar(
            self.today - dt.timedelta(days=4 * 366), self.today + dt.timedelta(days=366)
        )
        self.tz = timezone.get_current_timezone()
        self.data_by_applicant: dict[int, str] = {}
        self.counters = _number_counters()
        self.queue_weights = _long_tail(len(cat.queue_items))
        self.other_weights = _long_tail(len(cat.other_items))

    def rows(self, count: int) -> list[dict]:
        from tongban.cases import clock

        with self.calendar.installed(clock):
            return self._rows(count, clock)

    def _items(self, count: int) -> list:
        rng, cat = self.rng, self.cat
        queue_n = int(count * self.queue_share) if cat.queue_items else 0
        items = rng.choices(cat.queue_items, self.queue_weights, k=queue_n) if queue_n else []
        items += rng.choices(cat.other_items, self.other_weights, k=count - queue_n)
        rng.shuffle(items)
        return items

    def _data(self, applicant, region_code: str) -> str:
        data = self.data_by_applicant.get(applicant.pk)
        if data is None:
            data = self.data_by_applicant[applicant.pk] = json.dumps(
                {
                    "applicant_name": applicant.real_name,
                    "applicant_id_number": applicant.id_number,
                    "mobile": applicant.mobile,
                    "address": {"region": region_code, "detail": f"人民路 {applicant.pk % 300 + 1} 号"},
                    "request": "申请办理",
                },
                ensure_ascii=False,
            )
        return data

    def _rows(self, count: int, clock) -> list[dict]:
        from tongban.cases.models import Case

        rng, today, tz = self.rng, self.today, self.tz
        items = self._items(count)
        is_open = [rng.random() < self.open_share for _ in range(count)]
        closed_status = rng.choices(list(CLOSED_MIX), list(CLOSED_MIX.values()), k=count)
        open_status = rng.choices(list(OPEN_MIX), list(OPEN_MIX.values()), k=count)
        queue_departments = set(self.cat.queue_departments)
        staff = self.staff
        yesterday = today - dt.timedelta(days=1)
        rows = []
        for n in range(count):
            item = items[n]
            applicant = self.applicants[rng.randrange(len(self.applicants))]
            instant = item.case_kind == "1" or not item.promised_limit
            template = "instant" if instant else "promised"
            if is_open[n]:
                status = "pending_intake" if instant else open_status[n]
                back = rng.randint(1, 8) if status in ("pending_intake", "correction") else rng.randint(3, 45)
            else:
                status = "concluded" if instant else closed_status[n]
                back = rng.randint(1, 3 * 365)
            day = today - dt.timedelta(days=back)
            submitted = dt.datetime.combine(day, dt.time(rng.randint(8, 19), rng.randint(0, 59)), tz)
            key = (item.region_code, day)
            self.counters[key] = self.counters.get(key, 0) + 1
            window = rng.random() < 0.15
            case = Case(
                item=item,
                status=status,
                limit_days=item.promised_limit,
                limit_unit=item.promised_limit_unit,
                submitted_at=submitted,
            )
            clock.set_intake_deadline(case, day)
            if status in ("in_review", "special", "pending_decision", "pending_issue") or (
                status in ("concluded", "denied", "forwarded") and not instant
            ):
                accepted_day = min(day + dt.timedelta(days=rng.randint(0, 2)), yesterday)
                case.accepted_at = dt.datetime.combine(accepted_day, dt.time(10, 0), tz)
                clock.set_decision_deadlines(case, accepted_day)
            elif instant and status == "concluded":
                case.accepted_at = submitted
            if status in ("correction", "special"):
                since = min(day + dt.timedelta(days=rng.randint(0, 2)), yesterday)
                case.paused_since = dt.datetime.combine(since, dt.time(15, 0), tz)
                case.paused_reason = status
            clock.refresh_due(case)
            step = self.states[template].get(status) if is_open[n] else None
            assignee = None
            if step is not None and step.role != "applicant":
                roll = rng.random()
                if item.department_id in queue_departments and roll < 0.08:
                    assignee = self.queue
                elif roll < 0.3:
                    assignee = staff[rng.randrange(len(staff))]
            concluded, result = None, ""
            if not is_open[n]:
                start = case.accepted_at or submitted
                concluded = submitted if instant else start + dt.timedelta(days=rng.randint(1, 15), hours=2)
                result = RESULTS.get(status, "returned")
            rows.append(
                {
                    "number": f"{item.region_code}-{day:%Y%m%d}-{self.counters[key]:06d}",
                    "item": item,
                    "applicant": applicant,
                    "submitted_by": staff[0] if window else applicant,
                    "channel": "1" if window else "2",
                    "data": self._data(applicant, item.region_code),
                    "definition": self.definitions[template],
                    "step": step,
                    "assignee": assignee,
                    "case": case,
                    "concluded_at": concluded,
                    "result": result,
                }
            )
        return rows


RESULTS = {"concluded": "issued", "forwarded": "forwarded", "withdrawn": "voided"}


def app_rows(rows: list[dict], first_id: int):
    for n, row in enumerate(rows):
        submitted = row["case"].submitted_at
        yield {
            "id": first_id + n,
            "public_id": uuid.uuid4(),
            "item_id": row["item"].pk,
            "form_id": None,
            "applicant_id": row["applicant"].pk,
            "enterprise_id": None,
            "created_by_id": row["submitted_by"].pk,
            "channel": row["channel"],
            "data": row["data"],
            "step": 3,
            "status": "submitted",
            "expires_at": submitted + dt.timedelta(days=30),
            "created_at": submitted,
            "updated_at": submitted,
        }


def case_rows(rows: list[dict], first_app_id: int):
    for n, row in enumerate(rows):
        case, step, item = row["case"], row["step"], row["item"]
        yield {
            "number": row["number"],
            "public_id": uuid.uuid4(),
            "application_id": first_app_id + n,
            "item_id": item.pk,
            "department_id": item.department_id,
            "region_code": item.region_code,
            "applicant_id": row["applicant"].pk,
            "enterprise_id": None,
            "submitted_by_id": row["submitted_by"].pk,
            "applicant_name": row["applicant"].real_name,
            "channel": row["channel"],
            "form_id": None,
            "data": row["data"],
            "status": case.status,
            "result": row["result"],
            "decision_reason": "",
            "current_step": step.spec if step else "",
            "current_step_title": step.title if step else "",
            "current_role": step.role if step else "",
            "assignee_id": row["assignee"].pk if row["assignee"] else None,
            "claimed_at": case.submitted_at if row["assignee"] else None,
            "process_id": row["definition"].pk,
            "workflow_state": step.state if step else "",
            "version": 1,
            "submitted_at": case.submitted_at,
            "accepted_at": case.accepted_at,
            "concluded_at": row["concluded_at"],
            "intake_due": case.intake_due,
            "legal_due": case.legal_due,
            "promised_due": case.promised_due,
            "due_estimated": case.due_estimated,
            "due_date": case.due_date,
            "warn_date": case.warn_date,
            "limit_days": case.limit_days,
            "limit_unit": case.limit_unit,
            "paused_since": case.paused_since,
            "paused_reason": case.paused_reason,
            "idempotency_key": None,
        }


def _copy(model, rows, *, with_id: bool = False) -> None:
    """COPY dicts of column values into the model's table; columns not given get the field default."""
    fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
    columns = [f.column for f in fields]
    defaults = {f.column: f.get_default() for f in fields}
    table = model._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        sql = f"COPY {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) FROM STDIN"
        with raw.copy(sql) as copy:
            for row in rows:
                copy.write_row(tuple(row[c] if c in row else defaults[c] for c in columns))


# ---------------------------------------------------------------- accounts and sessions


def queue_user_account():
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=QUEUE_USERNAME, defaults={"kind": "staff", "real_name": "审批科 王敏", "password": "!"}
    )
    return user


def queue_user(departments: list[int]) -> tuple[object, str]:
    """The queue user with every processing role in ``departments``; a verified session key."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tongban.cases.selectors import PROCESSING_ROLES
    from tongban.identity.models import StaffMembership

    user = queue_user_account()
    for department in departments:
        for role in PROCESSING_ROLES:
            StaffMembership.objects.get_or_create(user=user, department_id=department, role=role)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend a password login records (the lockout backend only refuses, it never signs in).
    session[BACKEND_SESSION_KEY] = next(b for b in settings.AUTHENTICATION_BACKENDS if "Lockout" not in b)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.create()
    return user, session.session_key


@dataclass
class Submission:
    path: str
    token: str
    key: str


def prepare_submissions(
    count: int, *, citizens: int, items: int, seed: int, exclude_departments: list[int]
) -> list[Submission]:
    """``count`` complete drafts of ``citizens`` people over ``items`` person items, each with a token."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tongban.cases import services
    from tongban.cases.models import Application, Attachment
    from tongban.catalog.models import MaterialRequirement, ServiceItem
    from tongban.forms.models import FormDefinition
    from tongban.forms.schema import validate_data

    rng = random.Random(seed)
    people = _bulk_users(f"{BENCH_PREFIX}citizen-", citizens, "citizen", rng, 10_000)
    with_forms = set(FormDefinition.objects.values_list("item_id", flat=True))
    candidates = list(
        ServiceItem.objects.published()
        .filter(for_person=True, for_enterprise=False, case_kind="2", promised_limit__gt=0)
        .exclude(department_id__in=exclude_departments)
        .exclude(pk__in=with_forms)
        .exclude(pk__in=_custom_process_items())
        .order_by("id")
        .values_list("id", "department_id")
    )
    rng.shuffle(candidates)
    chosen, seen = [], set()
    for pk, department in candidates:
        if department not in seen:
            chosen.append(pk)
            seen.add(department)
        if len(chosen) >= items:
            break
    chosen_items = list(ServiceItem.objects.filter(pk__in=chosen).order_by("id"))
    stored = default_storage.save("private/attachments/bench/material.pdf", ContentFile(PDF))
    sha = hashlib.sha256(PDF).hexdigest()
    drafts: list[Application] = []
    for n in range(count):
        item = chosen_items[n % len(chosen_items)]
        person = people[n % len(people)]
        if n < len(chosen_items):
            # The first draft of each item goes the real way (creates the item's form).
            drafts.append(services.start_application(user=person, item=item))
            continue
        form = drafts[n % len(chosen_items)].form
        drafts.append(
            Application(
                item=item,
                form=form,
                applicant=person,
                created_by=person,
                channel="2",
                data={},
                expires_at=timezone.now() + dt.timedelta(days=services.DRAFT_DAYS),
            )
        )
    for draft in drafts:
        person = draft.applicant
        draft.data = {
            "applicant_name": person.real_name,
            "applicant_id_number": person.id_number,
            "mobile": person.mobile,
            "address": {"region": draft.item.region_code, "detail": "建设路 1 号"},
            "request": "申请办理",
        }
    for draft in drafts[: len(chosen_items)]:
        errors = validate_data(draft.form.schema, draft.form.layout, draft.data)
        if errors:
            raise SystemExit(f"draft data does not fit the form of {draft.item.code}: {errors.fields}")
        draft.save(update_fields=["data"])
    Application.objects.bulk_create(drafts[len(chosen_items) :], batch_size=2000)
    required = {}
    for m in MaterialRequirement.objects.filter(
        item_id__in=chosen, necessity=MaterialRequirement.Necessity.REQUIRED
    ):
        required.setdefault(m.item_id, []).append(m)
    Attachment.objects.bulk_create(
        [
            Attachment(
                application=draft,
                requirement=m,
                file=stored,
                display_name="材料.pdf",
                content_type="application/pdf",
                size=len(PDF),
                sha256=sha,
                uploaded_by=draft.applicant,
            )
            for draft in drafts
            for m in required.get(draft.item_id, [])
        ],
        batch_size=5000,
    )
    tokens = bearer_tokens(people)
    run = secrets.token_hex(4)
    return [
        Submission(f"/api/v1/applications/{d.public_id}/submit", tokens[d.applicant_id], f"bench-{run}-{n}")
        for n, d in enumerate(drafts)
    ]


def bearer_tokens(people: list) -> dict[int, str]:
    """An API bearer token of the benchmark's client for each person (user id → token); the
    client's earlier tokens go."""
    from oauth2_provider.models import get_access_token_model

    from tongban.identity.oidc.models import Client
    from tongban.identity.oidc.services import create_client

    client = Client.objects.filter(name="压测接入系统").first()
    if client is None:
        client = create_client(name="压测接入系统", redirect_uris=["https://bench.example.cn/cb"]).client
    token_model = get_access_token_model()
    token_model.objects.filter(application=client).delete()
    tokens = {}
    objs = []
    for person in people:
        raw = secrets.token_urlsafe(32)
        tokens[person.pk] = raw
        objs.append(
            token_model(
                user=person,
                application=client,
                token=raw,
                token_checksum=hashlib.sha256(raw.encode()).hexdigest(),
                expires=timezone.now() + dt.timedelta(days=1),
                scope="openid api",
            )
        )
    token_model.objects.bulk_create(objs, batch_size=2000)
    return tokens


def _custom_process_items() -> list[int]:
    from tongban.workflow.models import ItemProcess

    return list(ItemProcess.objects.values_list("item_id", flat=True))


def queue_paths(departments: list[int], seed: int) -> list[str]:
    """What staff open: the first pages, each filter, a search by name and by case number."""
    from tongban.cases.models import Case

    open_cases = Case.objects.filter(department_id__in=departments, status__in=Case.OPEN_STATUSES)
    sample = list(open_cases.order_by("id").values_list("item_id", "applicant_name", "number")[:2000])
    rng = random.Random(seed)
    picks = rng.sample(sample, min(5, len(sample))) if sample else []
    paths = ["/staff/queue/", "/staff/queue/?page=2", "/staff/queue/?page=5", "/staff/queue/?mine=1"]
    paths += [f"/staff/queue/?deadline={d}" for d in ("red", "yellow", "green", "paused")]
    paths += [
        f"/staff/queue/?status={s}"
        for s in ("pending_intake", "in_review", "pending_decision", "pending_issue")
    ]
    for item_id, name, number in picks[:3]:
        paths.append(f"/staff/queue/?item={item_id}")
        paths.append(f"/staff/queue/?applicant={name[:2]}")
        paths.append(f"/staff/queue/?applicant={number}")
    return paths
