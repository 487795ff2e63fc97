"""DCAT-AP 3 metadata: valid against the official SEMICeu SHACL shapes (vendored), in JSON-LD
and Turtle, for the whole catalogue and each dataset."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from tongban.opendata import metadata
from tongban.opendata.datasets import SPECS

pytestmark = pytest.mark.django_db


def test_catalogue_conforms_to_dcat_ap_3_shapes(client, stats_world):
    graph = Graph().parse(data=client.get("/opendata/catalog.ttl").content.decode(), format="turtle")
    conforms, report = metadata.validate(graph)
    assert conforms, report
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == len(SPECS)
    assert len(list(graph.subjects(RDF.type, DCAT.Distribution))) == 3 * len(SPECS)


@pytest.mark.parametrize("slug", list(SPECS))
def test_each_dataset_jsonld_conforms_and_matches_turtle(client, stats_world, slug):
    jsonld = Graph().parse(
        data=client.get(f"/opendata/{slug}/dcat.jsonld").content.decode(), format="json-ld"
    )
    turtle = Graph().parse(data=client.get(f"/opendata/{slug}/dcat.ttl").content.decode(), format="turtle")
    assert len(jsonld) == len(turtle)
    conforms, report = metadata.validate(jsonld)
    assert conforms, report
    dataset = next(jsonld.subjects(RDF.type, DCAT.Dataset))
    assert jsonld.value(dataset, DCTERMS.title) == Literal(str(SPECS[slug].title), lang="zh-Hans")
    licences = set(jsonld.objects(None, DCTERMS.license))
    assert licences == {URIRef(metadata.LICENSE_URL)}


def test_the_shapes_catch_a_broken_record(client, stats_world):
    """The check can fail: a dataset without its mandatory description does not conform."""
    graph = Graph().parse(data=client.get("/opendata/holidays/dcat.ttl").content.decode(), format="turtle")
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    graph.remove((dataset, DCTERMS.description, None))
    conforms, report = metadata.validate(graph)
    assert not conforms
    assert "description" in report


def test_statistics_metadata_explains_suppression(client, stats_world):
    graph = Graph().parse(
        data=client.get("/opendata/case-statistics/dcat.ttl").content.decode(), format="turtle"
    )
    description = str(graph.value(next(graph.subjects(RDF.type, DCAT.Dataset)), DCTERMS.description))
    assert "少于 5 件" in description
