"""The service catalogue (实施清单): items with every element of the national standard.

Cross-checks of DESIGN §5 live in ``ServiceItem.check_rules`` and run on every save,
so no path (admin, import, API, shell) can store an inconsistent item.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.departments.models import Department
from tongban.regions.models import Region


class Audience(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("法人")


class ItemType(models.TextChoices):
    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    PAYMENT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER_POWER = "10", _("其他行政权力")
    PUBLIC_SERVICE = "20", _("公共服务")


class ServiceObject(models.TextChoices):
    NATURAL_PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    PUBLIC_INSTITUTION = "3", _("事业法人")
    SOCIAL_ORGANIZATION = "4", _("社会组织法人")
    UNINCORPORATED = "5", _("非法人企业")
    GOVERNMENT = "6", _("行政机关")
    OTHER = "7", _("其他组织")


PERSON_OBJECTS = {ServiceObject.NATURAL_PERSON}


class CaseKind(models.TextChoices):
    INSTANT = "1", _("即办件")
    PROMISED = "2", _("承诺件")


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "G", _("工作日")
    NATURAL_DAYS = "Z", _("自然日")


class OnlineDepth(models.IntegerChoices):
    I = 1, _("Ⅰ 级（网上咨询）")  # noqa: E741
    II = 2, _("Ⅱ 级（网上预审）")
    III = 3, _("Ⅲ 级（网上受理）")
    IV = 4, _("Ⅳ 级（全程网办）")


class Channel(models.TextChoices):
    WINDOW = "1", _("窗口")
    ONLINE = "2", _("网上")
    POST = "3", _("快递")


class Theme(models.Model):
    audience = models.CharField(_("面向"), max_length=12, choices=Audience.choices)
    name = models.CharField(_("主题"), max_length=32)
    slug = models.SlugField(_("标识"), max_length=64)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["audience", "order", "id"]
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        constraints = [models.UniqueConstraint(fields=["audience", "slug"], name="theme_unique_slug")]

    def __str__(self) -> str:
        return f"{self.get_audience_display()}·{self.name}"


class ServiceItemQuerySet(models.QuerySet):
    def published(self) -> "ServiceItemQuerySet":
        return self.filter(status=ServiceItem.Status.PUBLISHED)

    def in_region(self, region: Region) -> "ServiceItemQuerySet":
        return self.filter(region_code__startswith=region.code)


class ServiceItem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    class ResultType(models.TextChoices):
        CERTIFICATE = "certificate", _("证照")
        APPROVAL = "approval", _("批文")
        PROOF = "proof", _("证明")
        OTHER = "other", _("其他")
        NONE = "none", _("无")

    # Identity
    code = models.CharField(_("实施编码"), max_length=80, unique=True)
    base_code = models.CharField(_("基本编码"), max_length=20, blank=True, db_index=True)
    name = models.CharField(_("事项名称"), max_length=200)
    group = models.CharField(_("主项/分组"), max_length=200, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=ItemType.choices)
    service_objects = models.JSONField(_("服务对象"), default=list, blank=True)
    for_person = models.BooleanField(_("面向个人"), default=True, db_index=True)
    for_enterprise = models.BooleanField(_("面向法人"), default=False, db_index=True)
    department = models.ForeignKey(
        Department, verbose_name=_("实施主体"), on_delete=models.PROTECT, related_name="items"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="items"
    )
    # Denormalised region code: "items in this region and below" is a prefix match on an index.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True, editable=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    # Legal content
    summary = models.TextField(_("事项简介"), blank=True)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    prohibited = models.TextField(_("禁止性要求"), blank=True)

    # Time limits
    case_kind = models.CharField(
        _("办件类型"), max_length=1, choices=CaseKind.choices, default=CaseKind.PROMISED
    )
    legal_limit = models.PositiveIntegerField(_("法定办结时限"), default=20)
    legal_limit_unit = models.CharField(
        _("法定时限单位"), max_length=1, choices=LimitUnit.choices, default="G"
    )
    promised_limit = models.PositiveIntegerField(_("承诺办结时限"), default=10, help_text=_("0 表示即办"))
    promised_limit_unit = models.CharField(
        _("承诺时限单位"), max_length=1, choices=LimitUnit.choices, default="G"
    )

    # Fees
    is_charged = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)

    # Where and how
    handling_place = models.TextField(_("办理地点"), blank=True)
    handling_hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    channels = models.JSONField(_("办理渠道"), default=list, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    consult_channels = models.TextField(_("咨询方式"), blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=40, blank=True)
    complaint_channels = models.TextField(_("投诉方式"), blank=True)
    visits_required = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    online_depth = models.PositiveSmallIntegerField(
        _("网办深度"), choices=OnlineDepth.choices, default=OnlineDepth.III
    )

    # Result
    result_type = models.CharField(
        _("审批结果类型"), max_length=12, choices=ResultType.choices, default="approval"
    )
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_sample = models.FileField(_("审批结果样本"), upload_to="catalog/results/", blank=True)

    # Flags
    supports_appointment = models.BooleanField(_("支持预约办理"), default=False)
    supports_online_payment = models.BooleanField(_("支持网上支付"), default=False)
    supports_delivery = models.BooleanField(_("支持物流快递"), default=False)
    cross_region = models.BooleanField(_("跨域通办"), default=False)

    themes = models.ManyToManyField(Theme, verbose_name=_("主题"), blank=True, related_name="items")
    keywords = models.CharField(_("关键词"), max_length=300, blank=True, help_text=_("检索用俗称，空格分隔"))
    popularity = models.PositiveIntegerField(_("热度"), default=0, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        ordering = ["region_code", "department_id", "name"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        indexes = [
            models.Index(fields=["status", "region_code"], name="item_status_region"),
            models.Index(fields=["department", "status"], name="item_department_status"),
            models.Index(fields=["-popularity", "id"], name="item_popularity"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_instant(self) -> bool:
        return self.promised_limit == 0

    def check_rules(self) -> None:
        """The national cross-checks; each message names the field it is about."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if not (self.name or "").strip():
            add("name", "“事项名称”不能为空。")
        if self.item_type not in ItemType.values:
            add("item_type", "“事项类型”必须是国家标准编号（01–10 或 20）。")
        bad_objects = [o for o in self.service_objects or [] if str(o) not in ServiceObject.values]
        if bad_objects:
            add("service_objects", f"“服务对象”编号无效：{'、'.join(map(str, bad_objects))}。")
        if self.is_instant and self.case_kind != CaseKind.INSTANT:
            add("case_kind", "承诺时限为即办（0 天）的事项，“办件类型”必须为即办件。")
        if self.case_kind == CaseKind.INSTANT and not self.is_instant:
            add("promised_limit", "即办件的“承诺办结时限”应为 0（即办）。")
        if self.case_kind == CaseKind.PROMISED and self.legal_limit == 0:
            add("legal_limit", "承诺件必须填写“法定办结时限”。")
        if (
            self.legal_limit
            and self.promised_limit_unit == self.legal_limit_unit
            and self.promised_limit > self.legal_limit
        ):
            add("promised_limit", "“承诺办结时限”不能长于“法定办结时限”。")
        if self.online_depth == OnlineDepth.IV and self.visits_required != 0:
            add("visits_required", "网办深度为Ⅳ级（全程网办）的事项，“到办事现场次数”必须为 0。")
        if self.is_charged and not (self.fee_basis or "").strip():
            add("fee_basis", "收费事项必须填写“收费依据”。")
        consult = _digits(self.consult_phone)
        complaint = _digits(self.complaint_phone)
        if consult and complaint and consult == complaint:
            add("complaint_phone", "“投诉电话”不能与“咨询电话”相同。")
        bad_channels = [c for c in self.channels or [] if str(c) not in Channel.values]
        if bad_channels:
            add("channels", f"“办理渠道”编号无效：{'、'.join(map(str, bad_channels))}。")
        if self.department_id and self.region_id and self.department.region_id != self.region_id:
            dept_code = self.department.region.code
            if not self.region.code.startswith(dept_code) and not dept_code.startswith(self.region.code):
                add("department", "“实施主体”不属于该事项所在区划。")
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        self.check_rules()

    def save(self, *args, **kwargs) -> None:
        if self.region_id:
            self.region_code = self.region.code
        objects = {str(o) for o in self.service_objects or []}
        if objects:
            self.for_person = bool(objects & PERSON_OBJECTS)
            self.for_enterprise = bool(objects - PERSON_OBJECTS)
        self.check_rules()
        super().save(*args, **kwargs)


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone or "" if ch.isdigit())


class MaterialRequirement(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", _("原件")
        COPY = "copy", _("复印件")
        ELECTRONIC = "electronic", _("电子")

    class Necessity(models.TextChoices):
        REQUIRED = "required", _("必要")
        OPTIONAL = "optional", _("非必要")
        CONDITIONAL = "conditional", _("容缺后补")

    class Source(models.TextChoices):
        APPLICANT = "applicant", _("申请人自备")
        GOVERNMENT = "government", _("政府部门核发")
        INTERMEDIARY = "intermediary", _("中介机构")
        OTHER = "other", _("其他")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    # The same document across items (居民身份证, 营业执照 …), so a bundle asks for it once;
    # derived from the name when left empty (``catalog.materials.material_code``).
    material_code = models.CharField(
        _("材料编码"), max_length=60, blank=True, db_index=True, help_text=_("留空则按材料名称自动归类")
    )
    forms = models.JSONField(_("材料形式"), default=list, blank=True)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    necessity = models.CharField(
        _("必要性"), max_length=12, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    source = models.CharField(_("来源渠道"), max_length=14, choices=Source.choices, default=Source.APPLICANT)
    source_note = models.CharField(_("来源说明"), max_length=200, blank=True)
    requirements = models.TextField(_("填报须知"), blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/", blank=True)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        bad = [f for f in self.forms or [] if f not in self.Form.values]
        if bad:
            raise ValidationError({"forms": f"“材料形式”无效：{'、'.join(bad)}。"})
        if self.copies < 1 and self.Form.ELECTRONIC not in (self.forms or []):
            raise ValidationError({"copies": "纸质材料“份数”至少为 1。"})

    def save(self, *args, **kwargs) -> None:
        if not self.material_code:
            from .materials import material_code

            self.material_code = material_code(self.name)
        super().save(*args, **kwargs)


class ProcessStep(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("环节"), max_length=60)
    description = models.TextField(_("办理内容"), blank=True)
    time_limit = models.CharField(_("时限"), max_length=40, blank=True)

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("办理流程")
        verbose_name_plural = _("办理流程")

    def __str__(self) -> str:
        return self.name


class FeeItem(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="fees")
    name = models.CharField(_("收费项目"), max_length=200)
    standard = models.CharField(_("收费标准"), max_length=200)
    basis = models.TextField(_("收费依据"))
    may_reduce = models.BooleanField(_("可减免"), default=False)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.basis or "").strip():
            raise ValidationError({"basis": "收费项目必须填写“收费依据”。"})


class FAQ(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="faqs")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    question = models.CharField(_("问题"), max_length=300)
    answer = models.TextField(_("解答"))

    class Meta:
        ordering = ["item", "order", "id"]
        verbose_name = _("常见问题")
        verbose_name_plural = _("常见问题")

    def __str__(self) -> str:
        return self.question


class ItemChange(models.Model):
    """History of an item: who changed what and when (append-only)."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["item", "-at", "-id"]
        verbose_name = _("事项变更记录")
        verbose_name_plural = _("事项变更记录")

    def __str__(self) -> str:
        return f"{self.item_id} {self.action} v{self.version}"


class LifeEvent(models.Model):
    """一件事: a bundle of items applied for together (高效办成一件事).

    Versioned like items: every change by a catalogue admin bumps ``version`` and appends a
    ``LifeEventVersion`` with a snapshot of the whole bundle, so a joint case can say which
    version it was submitted under and what that version asked. Only published bundles can be
    applied for; bundles loaded before versioning existed count as published.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已撤回")

    name = models.CharField(_("一件事"), max_length=60)
    slug = models.SlugField(_("标识"), max_length=80, unique=True)
    audience = models.CharField(_("面向"), max_length=12, choices=Audience.choices, default=Audience.PERSON)
    summary = models.TextField(_("说明"), blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="life_events"
    )
    items = models.ManyToManyField(
        ServiceItem,
        verbose_name=_("包含事项"),
        related_name="life_events",
        blank=True,
        through="LifeEventItem",
        through_fields=("bundle", "item"),
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("牵头部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_bundles",
    )
    joint_limit_days = models.PositiveSmallIntegerField(
        _("联办承诺时限（工作日）"), default=0, help_text=_("0 表示按各事项时限")
    )
    cross_region = models.BooleanField(_("跨域通办"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PUBLISHED, db_index=True
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def __str__(self) -> str:
        return self.name


class LifeEventItem(models.Model):
    """One item of a bundle: essential or optional, its place, what must conclude before it.

    Keeps the table and columns of the many-to-many it replaced (``catalog_lifeevent_items``),
    so ``LifeEvent.items`` and the reads written against that table still work.
    """

    class OnRefusal(models.TextChoices):
        ALL = "all", _("终止全部事项")
        DEPENDENTS = "dependents", _("终止依赖本事项的事项")
        NONE = "none", _("不影响其他事项")

    bundle = models.ForeignKey(
        LifeEvent, on_delete=models.CASCADE, related_name="entries", db_column="lifeevent_id"
    )
    item = models.ForeignKey(
        ServiceItem,
        verbose_name=_("事项"),
        on_delete=models.CASCADE,
        related_name="bundle_entries",
        db_column="serviceitem_id",
    )
    essential = models.BooleanField(_("必办"), default=True)
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    after = models.ManyToManyField(
        "self",
        verbose_name=_("前置事项"),
        symmetrical=False,
        blank=True,
        related_name="dependents",
        help_text=_("这些事项办结后，本事项才开始办理"),
    )
    on_refusal = models.CharField(
        _("不予办理时"), max_length=10, choices=OnRefusal.choices, default=OnRefusal.DEPENDENTS
    )

    class Meta:
        db_table = "catalog_lifeevent_items"
        ordering = ["bundle", "order", "id"]
        verbose_name = _("一件事包含事项")
        verbose_name_plural = _("一件事包含事项")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="lifeevent_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id}·{self.item_id}"


class GuidanceQuestion(models.Model):
    """情形引导: a yes/no question whose answer selects entries of the bundle.

    An entry named by no question always applies. An entry named by questions applies when
    every one of them got the answer that selects it (``if_yes`` or ``if_no``); an unanswered
    question counts as its ``default_answer``.
    """

    bundle = models.ForeignKey(LifeEvent, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.CharField(_("问题"), max_length=200)
    help = models.CharField(_("说明"), max_length=300, blank=True)
    default_answer = models.BooleanField(_("默认回答“是”"), default=False)
    if_yes = models.ManyToManyField(
        LifeEventItem, verbose_name=_("回答“是”时办理"), blank=True, related_name="selected_by_yes"
    )
    if_no = models.ManyToManyField(
        LifeEventItem, verbose_name=_("回答“否”时办理"), blank=True, related_name="selected_by_no"
    )

    class Meta:
        ordering = ["bundle", "order", "id"]
        verbose_name = _("情形引导问题")
        verbose_name_plural = _("情形引导问题")

    def __str__(self) -> str:
        return self.text


class LifeEventVersion(models.Model):
    """History of a bundle (append-only): each change with the whole bundle as it became."""

    bundle = models.ForeignKey(LifeEvent, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    action = models.CharField(_("操作"), max_length=20)
    status = models.CharField(_("状态"), max_length=10)
    actor = models.CharField(_("操作人"), max_length=150, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(_("内容"), default=dict)

    class Meta:
        ordering = ["bundle", "-version", "-id"]
        verbose_name = _("一件事版本")
        verbose_name_plural = _("一件事版本")

    def __str__(self) -> str:
        return f"{self.bundle_id} v{self.version} {self.action}"


class SearchSynonym(models.Model):
    """Everyday words → the terms departments use; edited by admins, used by search at once.

    A query containing ``phrase`` also searches for each of ``expansions``. Phrases are stored
    normalised (half-width, lower case) because the query is normalised the same way.
    """

    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("随系统提供")
        ADMIN = "admin", _("管理员维护")

    phrase = models.CharField(_("群众说法"), max_length=60, unique=True)
    expansions = models.CharField(_("对应规范用语"), max_length=300, help_text=_("多个用空格分隔"))
    # Shipped entries that no admin edited are replaced when a new dictionary ships; an edit
    # through a form (admin, staff page) makes the entry the admin's.
    origin = models.CharField(_("来源"), max_length=10, choices=Origin.choices, default=Origin.ADMIN)
    # The phrase typed as pinyin ('shebaoka') or initials ('sbk'), so typed latin finds it.
    pinyin = models.CharField(max_length=240, blank=True, db_index=True, editable=False)
    initials = models.CharField(max_length=60, blank=True, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("检索同义词")
        verbose_name_plural = _("检索同义词")

    def __str__(self) -> str:
        return f"{self.phrase} → {self.expansions}"

    def clean(self) -> None:
        self._normalise()
        self.origin = self.Origin.ADMIN
        if not self.phrase:
            raise ValidationError({"phrase": "“群众说法”不能为空。"})
        if not self.expansions:
            raise ValidationError({"expansions": "“对应规范用语”不能为空。"})

    def save(self, *args, **kwargs) -> None:
        self._normalise()
        super().save(*args, **kwargs)

    def _normalise(self) -> None:
        def norm(text: str) -> str:
            return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())

        self.phrase = norm(self.phrase).replace(" ", "")
        self.expansions = norm(self.expansions.replace("，", " ").replace(",", " ").replace("、", " "))
        from tongban.catalog.search.dictionary import phrase_pinyin

        self.pinyin, self.initials = phrase_pinyin(self.phrase)


class SearchEntry(models.Model):
    """The search document of one published item, kept in the database (DESIGN §2).

    Columns hold space-separated tokens computed in Python (jieba words, pinyin, character
    n-grams, filter tokens), so neither database needs a Chinese parser. On SQLite an FTS5
    table (``catalog_search_fts``, external content, kept in step by triggers) indexes them; on
    PostgreSQL a stored generated ``document`` tsvector with a GIN index does. Both are created
    by migration ``0003``: a later migration that rebuilds this table on SQLite must recreate
    the triggers (see ``search.backends``).
    """

    item = models.OneToOneField(
        ServiceItem, on_delete=models.CASCADE, related_name="search_entry", primary_key=True
    )
    title = models.CharField(max_length=200)
    tokens = models.TextField(help_text="words of the name")
    extra = models.TextField(blank=True, help_text="keywords, group, department and theme words")
    pinyin = models.TextField(blank=True, help_text="pinyin syllable pairs, words and initials")
    grams = models.TextField(blank=True, help_text="characters and character pairs of the name")
    filters = models.TextField(blank=True, help_text="region, audience, department, theme, type")
    region_code = models.CharField(max_length=12, db_index=True)
    base_code = models.CharField(
        max_length=20, blank=True, default="", help_text="groups one service across regions"
    )
    popularity = models.PositiveIntegerField(default=0, help_text="the item's, as of its last indexing")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")

    def __str__(self) -> str:
        return self.title


class SearchQuery(models.Model):
    """How often one everyday query was searched on one day with one region filter.

    Learning from use without personal data: the text is stored with ID, phone and other long
    numbers masked (``search_log.scrub``), and nothing says who searched (no user, IP or
    session). One row per (day, region filter, normalised query), incremented in batches.
    """

    key = models.CharField(max_length=32, unique=True, help_text="digest of day, region and query")
    day = models.DateField(_("日期"))
    region_code = models.CharField(_("地区筛选"), max_length=12, blank=True)
    normalized = models.CharField(_("规范化检索词"), max_length=100)
    query = models.CharField(_("检索词"), max_length=100, help_text=_("个人号码已隐去"))
    searches = models.PositiveIntegerField(_("检索次数"), default=0)
    zero_result_searches = models.PositiveIntegerField(_("无结果次数"), default=0)
    result_count = models.PositiveIntegerField(_("结果数"), null=True, blank=True, help_text=_("最近一次"))

    class Meta:
        indexes = [models.Index(fields=["day", "normalized"], name="catalog_searchq_day_norm")]
        verbose_name = _("检索记录")
        verbose_name_plural = _("检索记录")

    def __str__(self) -> str:
        return f"{self.day} {self.normalized} ×{self.searches}"


class SearchClick(models.Model):
    """Which result of a logged query was opened, and how often (through ``/search/go/``)."""

    query_key = models.CharField(max_length=32)
    item_code = models.CharField(_("实施编码"), max_length=80)
    day = models.DateField(_("日期"))
    clicks = models.PositiveIntegerField(_("点击次数"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["query_key", "item_code"], name="catalog_searchclick_unique")
        ]
        verbose_name = _("检索点击")
        verbose_name_plural = _("检索点击")

    def __str__(self) -> str:
        return f"{self.query_key} → {self.item_code} ×{self.clicks}"


class SearchQueryReview(models.Model):
    """A catalogue admin has dealt with a normalised query: it leaves the list of open queries."""

    class Outcome(models.TextChoices):
        REVIEWED = "reviewed", _("已处理")
        IGNORED = "ignored", _("已忽略")
        SYNONYM = "synonym", _("已加同义词")

    normalized = models.CharField(_("规范化检索词"), max_length=100, unique=True)
    outcome = models.CharField(_("处理结果"), max_length=12, choices=Outcome.choices)
    reviewed_by = models.CharField(_("处理人"), max_length=150)
    reviewed_at = models.DateTimeField(_("处理时间"))

    class Meta:
        verbose_name = _("检索词处理")
        verbose_name_plural = _("检索词处理")

    def __str__(self) -> str:
        return f"{self.normalized}: {self.outcome}"
