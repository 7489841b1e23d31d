"""The Clusters page's pyvis graph: self-contained (no outside request) and legible."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.insights import clusters, graph
from core.model import Model, ModelStore
from dashboard.graph_page import external_resources, graph_html
from tests.dashboard_fixtures import tiny_env


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    env = tiny_env(tmp_path_factory.mktemp("graph_page"))
    return ModelStore(Path(env["MODEL_DIR"])).load()


def test_graph_html_is_self_contained_and_shows_the_artists(model: Model) -> None:
    g = graph.similarity_graph(model, model.resolve("Mogwai"), max_nodes=10)
    names = clusters.cluster_names(model)
    page = graph_html(g, names)
    assert external_resources(page) == []
    assert "cdn.jsdelivr" not in page and "cdnjs" not in page
    assert "vis.Network" in page  # vis-network is inlined, not fetched
    assert "Mogwai" in page
    for cluster in g.clusters:
        assert names[cluster] in page  # the legend names each cluster shown


def test_external_resources_detects_cdn_tags() -> None:
    page = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" '
            'href="//cdn.example/x.css"><script>var ok = "https://not-a-tag";</script>'
            '<script src="lib/local.js"></script>')
    found = external_resources(page)
    assert len(found) == 2 and all("cdn.example" in tag for tag in found)
