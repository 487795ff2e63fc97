"""The label filters and the ``{% constant %}`` fragments of the public pages."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from tongban.catalog.models import ItemType, MaterialRequirement, OnlineDepth


def render(source: str, **context) -> str:
    return Template("{% load i18n tongban_web %}" + source).render(Context(context))


def test_label_shows_the_national_label_in_the_active_language():
    assert render('{{ v|label:"item_type" }}', v="01") == "行政许可"
    assert render('{{ v|label:"necessity" }}', v="required") == str(
        MaterialRequirement.Necessity("required").label
    )
    assert render('{{ v|label:"online_depth" }}', v=4) == str(OnlineDepth(4).label)
    with translation.override("en"):
        assert render('{{ v|label:"item_type" }}', v="01") == str(ItemType.LICENSING.label)


def test_label_of_an_unknown_code_is_the_code():
    assert render('{{ v|label:"item_type" }}', v="99") == "99"
    assert render('{{ v|label:"item_type" }}', v=None) == ""


def test_labels_joins_known_and_unknown_codes():
    assert render('{{ v|labels:"channel" }}', v=["1", "x"]) == "窗口、x"


def test_constant_is_rendered_once_per_language():
    template = Template("{% load i18n tongban_web %}{% constant %}{% translate '首页' %}{% endconstant %}")
    with translation.override("zh-hans"):
        assert template.render(Context()) == "首页"
    with translation.override("en"):
        english = template.render(Context())
    with translation.override("zh-hans"):
        assert template.render(Context()) == "首页"
    node = next(n for n in template.nodelist if n.__class__.__name__ == "ConstantNode")
    assert set(node.rendered) == {"zh-hans", "en"}
    assert node.rendered["en"] == english


def test_constant_refuses_variables():
    with pytest.raises(TemplateSyntaxError):
        Template("{% load tongban_web %}{% constant %}{{ user }}{% endconstant %}")
    with pytest.raises(TemplateSyntaxError):
        Template("{% load tongban_web %}{% constant %}{% if x %}{{ x }}{% endif %}{% endconstant %}")


def test_constant_never_sees_the_page_context():
    template = Template("{% load tongban_web %}{% constant %}{% firstof secret 'none' %}{% endconstant %}")
    assert template.render(Context({"secret": "visitor data"})) == "none"
