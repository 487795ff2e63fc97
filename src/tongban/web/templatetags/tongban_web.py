"""Template helpers for the public pages: national codes shown as their labels, and constant
fragments rendered once per language.

Both exist because the guide page is rendered cold far more often than any other page: a
``get_FOO_display()`` call rebuilds and translates the field's whole choice list (≈ 0.1 ms, a
dozen per guide), and the page's headings, table heads and navigation are the same ≈ 100
translated strings for every item.
"""

from django import template
from django.template.base import Node, NodeList, TextNode, VariableNode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongban.catalog.labels import LABELS, code_label

register = template.Library()


@register.filter
def label(value: object, kind: str) -> str:
    """``item.item_type|label:"item_type"`` → "行政许可"; an unknown code is shown as it is."""
    found = code_label(kind, value)
    if found is not None:
        return found
    return "" if value is None else str(value)


@register.filter
def labels(values: list | None, kind: str) -> str:
    """``["1", "2"]|labels:"service_object"`` → "自然人、企业法人"; unknown codes are shown as they are."""
    choices = LABELS[kind]
    # Translators: separator between items of an inline list.
    separator = _("、")
    return separator.join(str(choices.get(str(value), value)) for value in values or [])


class ConstantNode(Node):
    """Renders its content once per language and process, then repeats the text."""

    def __init__(self, nodelist: NodeList):
        self.nodelist = nodelist
        self.rendered: dict[str, str] = {}

    def render(self, context: template.Context) -> str:
        language = get_language() or ""
        text = self.rendered.get(language)
        if text is None:
            # An empty context of the same kind: nothing of this page or visitor is visible.
            text = self.rendered[language] = self.nodelist.render(context.new())
        return mark_safe(text)  # noqa: S308 - rendered by the template engine, which escaped it


def _check_constant(nodelist: NodeList) -> None:
    for node in nodelist:
        if isinstance(node, VariableNode):
            raise template.TemplateSyntaxError(
                f"{{% constant %}} may not show variables ({node.filter_expression.token})"
            )
        if not isinstance(node, TextNode):
            for child_list in node.child_nodelists:
                _check_constant(getattr(node, child_list, None) or NodeList())


@register.tag
def constant(parser: template.base.Parser, token: template.base.Token) -> ConstantNode:
    """``{% constant %}…{% endconstant %}``: content that depends on nothing but the language.

    Translated strings, ``{% url %}`` and ``{% static %}`` of fixed names only; a variable
    inside is a template syntax error (it could differ between pages and would be repeated).
    The content is rendered without the page's context, so a tag reading the context fails
    loudly in tests instead of caching one visitor's value.
    """
    nodelist = parser.parse(("endconstant",))
    parser.delete_first_token()
    _check_constant(nodelist)
    return ConstantNode(nodelist)
