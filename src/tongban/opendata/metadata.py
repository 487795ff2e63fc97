"""Metadata of the datasets: DCAT-AP 3 (rdflib, JSON-LD and Turtle) and a Frictionless datapackage.json.

IRIs are absolute under ``TONGBAN_PUBLIC_URL`` so that a harvester gets the same identifiers
whichever page it read them from. Every node a DCAT-AP range shape names (agent, licence,
media type, location, …) is typed, which the SEMICeu range shapes check; ``validate`` runs
the vendored official shapes (shapes/, CC BY 4.0, © European Union) with pyshacl.
"""

import datetime as dt
import functools
from importlib import resources

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from .datasets import SPECS, Spec

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SH = Namespace("http://www.w3.org/ns/shacl#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"

LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
LICENSE_NAME = "知识共享 署名 4.0 国际许可协议（CC BY 4.0）"

FORMATS = {
    "csv": ("CSV", "text/csv"),
    "json": ("JSON", "application/json"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

THEMES = {"GOVE": "政府和公共部门"}
"""Labels of the EU data themes the datasets use (a concept needs a skos:prefLabel)."""

SHAPES = ("dcat-ap-3.0.1-SHACL.ttl", "dcat-ap-3.0.1-ranges.ttl")


def absolute(path: str) -> str:
    return settings.TONGBAN_PUBLIC_URL.rstrip("/") + path


def _lang(text) -> Literal:
    return Literal(str(text), lang="zh-Hans")


def _when(value: dt.datetime | None) -> Literal:
    return Literal(timezone.localtime(value).replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _publisher(g: Graph) -> URIRef:
    agent = URIRef(absolute("/opendata/#publisher"))
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, _lang(settings.TONGBAN_SITE_NAME)))
    return agent


def _contact(g: Graph) -> BNode:
    contact = BNode()
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, VCARD.fn, _lang(settings.TONGBAN_SITE_NAME)))
    g.add((contact, VCARD.hasURL, URIRef(absolute(reverse("opendata:index")))))
    return contact


def _add_dataset(g: Graph, spec: Spec, publisher: URIRef, modified: dt.datetime | None) -> URIRef:
    landing = absolute(reverse("opendata:dataset", args=[spec.slug]))
    ds = URIRef(landing + "#dataset")
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(spec.slug)))
    g.add((ds, DCTERMS.title, _lang(spec.title)))
    description = str(spec.description)
    if spec.suppresses:
        description += " " + str(_("小数抑制：")) + str(spec.suppression_note)
    g.add((ds, DCTERMS.description, _lang(description)))
    g.add((ds, DCTERMS.publisher, publisher))
    g.add((ds, DCAT.contactPoint, _contact(g)))
    g.add((ds, DCAT.landingPage, _document(g, landing)))
    for word in spec.keywords:
        g.add((ds, DCAT.keyword, _lang(word)))
    theme = URIRef(EU + "data-theme/" + spec.theme)
    g.add((theme, RDF.type, SKOS.Concept))
    g.add((theme, SKOS.prefLabel, _lang(THEMES[spec.theme])))
    g.add((ds, DCAT.theme, theme))
    language = URIRef(EU + "language/ZHO")
    g.add((language, RDF.type, DCTERMS.LinguisticSystem))
    g.add((ds, DCTERMS.language, language))
    frequency = URIRef(EU + "frequency/" + spec.frequency)
    g.add((frequency, RDF.type, DCTERMS.Frequency))
    g.add((ds, DCTERMS.accrualPeriodicity, frequency))
    spatial = URIRef(EU + "country/CHN")
    g.add((spatial, RDF.type, DCTERMS.Location))
    g.add((ds, DCTERMS.spatial, spatial))
    if modified:
        g.add((ds, DCTERMS.modified, _when(modified)))
    licence = URIRef(LICENSE_URL)
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((licence, DCTERMS.title, _lang(LICENSE_NAME)))
    for fmt, (name, media) in FORMATS.items():
        path = reverse("opendata:download", args=[spec.slug, fmt])
        dist = URIRef(absolute(path) + "#distribution")
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, _lang(f"{spec.title}（{name}）")))
        g.add((dist, DCAT.accessURL, URIRef(absolute(path))))
        g.add((dist, DCAT.downloadURL, URIRef(absolute(path))))
        file_type = URIRef(EU + "file-type/" + name)
        g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
        g.add((dist, DCTERMS["format"], file_type))
        media_type = URIRef(IANA + media)
        g.add((media_type, RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.mediaType, media_type))
        g.add((dist, DCTERMS.license, licence))
        if modified:
            g.add((dist, DCTERMS.modified, _when(modified)))
        g.add((ds, DCAT.distribution, dist))
    return ds


def _document(g: Graph, url: str) -> URIRef:
    page = URIRef(url)
    g.add((page, RDF.type, FOAF.Document))
    return page


def catalogue_graph(modified: dict[str, dt.datetime | None], only: str | None = None) -> Graph:
    """The DCAT-AP catalogue (all datasets, or ``only`` one of them) as an rdflib graph."""
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("skos", SKOS), ("vcard", VCARD)):
        g.bind(prefix, ns)
    catalog = URIRef(absolute(reverse("opendata:index")) + "#catalog")
    publisher = _publisher(g)
    g.add((catalog, RDF.type, DCAT.Catalog))
    g.add((catalog, DCTERMS.title, _lang(_("通办开放数据"))))
    g.add(
        (
            catalog,
            DCTERMS.description,
            _lang(_("政务服务平台可以公开的数据：事项目录、部门好差评、办件统计和节假日安排。")),
        )
    )
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, FOAF.homepage, _document(g, absolute(reverse("opendata:index")))))
    licence = URIRef(LICENSE_URL)
    g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((catalog, DCTERMS.license, licence))
    latest = [m for m in modified.values() if m]
    if latest:
        g.add((catalog, DCTERMS.modified, _when(max(latest))))
    for slug, spec in SPECS.items():
        if only is None or slug == only:
            g.add((catalog, DCAT.dataset, _add_dataset(g, spec, publisher, modified.get(slug))))
    return g


def to_jsonld(g: Graph) -> str:
    context = {
        "dcat": str(DCAT),
        "dct": str(DCTERMS),
        "foaf": str(FOAF),
        "skos": str(SKOS),
        "vcard": str(VCARD),
    }
    return g.serialize(format="json-ld", context=context, indent=2, auto_compact=True)


def to_turtle(g: Graph) -> str:
    return g.serialize(format="turtle")


@functools.cache
def _shapes() -> Graph:
    """The official shapes and their range shapes, as one graph.

    Release 3.0.1 names five property shapes (``sh:property``) that neither file defines — no
    triple at all, so not even a path; pyshacl refuses such a graph. Those empty references are
    dropped here; every shape that is defined is kept unchanged.
    """
    shapes = Graph()
    for name in SHAPES:
        text = resources.files("tongban.opendata").joinpath("shapes", name).read_text("utf-8")
        shapes.parse(data=text, format="turtle")
    for owner, ref in list(shapes.subject_objects(SH.property)):
        if (ref, None, None) not in shapes:
            shapes.remove((owner, SH.property, ref))
    return shapes


def validate(g: Graph) -> tuple[bool, str]:
    """Check ``g`` against the official DCAT-AP 3 shapes: (conforms, pyshacl's report text)."""
    from pyshacl import validate as shacl_validate

    conforms, _graph, text = shacl_validate(g, shacl_graph=_shapes(), inference="none", advanced=True)
    return bool(conforms), text


# --- Frictionless Data Package -----------------------------------------------------------------


def datapackage(spec: Spec, modified: dt.datetime | None) -> dict:
    """A Data Package (v2, readable as v1) describing the CSV download and its schema."""
    fields = []
    for f in spec.fields:
        entry = {"name": f.name, "type": f.type, "title": str(f.title)}
        if f.description:
            entry["description"] = str(f.description)
        fields.append(entry)
    package = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": spec.slug,
        "id": absolute(reverse("opendata:dataset", args=[spec.slug])),
        "title": str(spec.title),
        "description": str(spec.description),
        "keywords": [str(k) for k in spec.keywords],
        "licenses": [{"name": "CC-BY-4.0", "path": LICENSE_URL, "title": LICENSE_NAME}],
        "homepage": absolute(reverse("opendata:dataset", args=[spec.slug])),
        "contributors": [{"title": settings.TONGBAN_SITE_NAME, "roles": ["publisher"]}],
        "resources": [
            {
                "$schema": "https://datapackage.org/profiles/2.0/dataresource.json",
                "name": spec.slug.replace("-", "_"),
                "path": absolute(reverse("opendata:download", args=[spec.slug, "csv"])),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "profile": "tabular-data-resource",
                "schema": {"fields": fields, "missingValues": [""]},
            }
        ],
    }
    if modified:
        package["created"] = timezone.localtime(modified).replace(microsecond=0).isoformat()
    return package
