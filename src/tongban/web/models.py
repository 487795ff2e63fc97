"""Storage of the rendered-page cache (``tongban.web.pagecache``).

Its own tables rather than Django's database cache: a guide page's lookup reads the item's
stamp, the catalogue version and the entry in one statement, and storing a page is one upsert
(the database cache counts its whole table, then selects and inserts in a transaction: five
round trips per stored page).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CachedPage(models.Model):
    """One rendered page (zlib-compressed HTML) and what it was rendered from."""

    key = models.CharField(primary_key=True, max_length=64)
    scope = models.CharField(max_length=16)
    stamp = models.CharField(max_length=120, blank=True)
    version = models.CharField(max_length=32)
    expires = models.BigIntegerField(db_index=True, help_text="Unix time")
    body = models.BinaryField()

    class Meta:
        verbose_name = _("缓存页面")
        verbose_name_plural = _("缓存页面")

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:12]}"


class CatalogueVersion(models.Model):
    """A single row: the token every cached page must match; replaced on catalogue changes."""

    id = models.PositiveSmallIntegerField(primary_key=True)
    token = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("目录版本")
        verbose_name_plural = _("目录版本")

    def __str__(self) -> str:
        return self.token
