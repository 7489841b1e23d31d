"""The Clusters page's graph as a self-contained pyvis page, from ``core.insights.graph``'s data.

pyvis's template pulls Bootstrap from a CDN even in ``in_line`` mode; those tags are removed
(the graph does not use Bootstrap), so the page works offline and makes no outside request.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re

from core.insights.graph import OTHER, SELECTED, SimilarityGraph

#: distinct, colour-blind-friendlier colours (Tableau 10, then its lighter half) without
#: Tableau's greys: a grey cluster looks disabled next to the faded "other" artists; clusters
#: beyond 20 reuse them, which the legend makes visible
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#499894", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#86bcb6", "#8cd17d", "#f1ce63",
    "#d4a6c8", "#fabfd2", "#b6992d", "#d37295",
)


def cluster_colour(cluster: int) -> str:
    """The colour a cluster is drawn in, the same on every page and after every rerun."""
    return PALETTE[int(cluster) % len(PALETTE)]


_EXTERNAL_TAG = re.compile(
    r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^>]*>(?:\s*</script>)?",
    re.IGNORECASE,
)
_EMPTY_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.IGNORECASE)


def external_resources(html: str) -> list[str]:
    """Every ``<script src>`` / ``<link href>`` tag that would load something from the network."""
    return _EXTERNAL_TAG.findall(html)


def _fade(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def graph_html(graph: SimilarityGraph, names: dict[int, str], height_px: int = 620) -> str:
    """A self-contained HTML page drawing ``graph`` with pyvis (vis-network inlined).

    Colour = cluster; the selected artist is large with a dark border, its direct neighbours
    are full colour and everything else is faded, so the neighbourhood stands out. A legend
    inside the page names the clusters shown.
    """
    from pyvis.network import Network

    net = Network(height=f"{height_px}px", width="100%", bgcolor="#ffffff", font_color="#1f2933",
                  cdn_resources="in_line")
    has_focus = graph.focus is not None
    listeners = graph.nodes["listeners"].to_numpy(dtype=float)
    top = float(listeners.max()) if len(listeners) else 1.0
    for rec in graph.nodes.itertuples(index=False):
        colour = cluster_colour(rec.cluster)
        faded = has_focus and rec.role == OTHER
        size = 8 + 22 * math.sqrt(max(float(rec.listeners), 0.0) / top) if top > 0 else 10
        genre = rec.genre if isinstance(rec.genre, str) else "no genre"
        title = (f"{rec.name}\n{int(rec.listeners):,} listeners · {genre}\n"
                 f"{names.get(int(rec.cluster), f'cluster {rec.cluster}')}")
        node: dict[str, object] = {
            "label": str(rec.name),
            "title": title,
            "color": {"background": _fade(colour, 0.35) if faded else colour,
                      "border": "#1f2933" if rec.role == SELECTED else _fade(colour, 0.6 if faded else 1),
                      "highlight": {"background": colour, "border": "#1f2933"}},
            "size": size * (1.6 if rec.role == SELECTED else 1.0),
            "borderWidth": 4 if rec.role == SELECTED else 1,
            "font": {"size": 24 if rec.role == SELECTED else 16,
                     "color": "#8795a1" if faded else "#1f2933",
                     # a white outline keeps labels legible where they cross links
                     "strokeWidth": 4 if rec.role == SELECTED else 2, "strokeColor": "#ffffff"},
        }
        net.add_node(int(rec.row), **node)
    for rec in graph.edges.itertuples(index=False):
        net.add_edge(
            int(rec.source), int(rec.target),
            value=float(rec.similarity),
            title=f"similarity {rec.similarity:.2f}",
            color="#1f2933" if rec.highlight else "rgba(150,160,170,0.45)",
        )
    net.set_options(json.dumps({
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -90, "springLength": 110,
                                         "avoidOverlap": 0.4},
                    "stabilization": {"iterations": 250, "fit": True}},
        "layout": {"randomSeed": 7},  # the same graph is drawn the same way every time
        "edges": {"smooth": False, "scaling": {"min": 1, "max": 6}},
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
    }))
    page = net.generate_html()
    page = _EXTERNAL_TAG.sub("", page)
    page = _EMPTY_HEADING.sub("", page)
    return page.replace("</body>", _legend(graph, names) + "\n</body>", 1)


def _legend(graph: SimilarityGraph, names: dict[int, str]) -> str:
    items = "".join(
        f'<div style="margin:2px 0"><span style="display:inline-block;width:11px;height:11px;'
        f'border-radius:50%;background:{cluster_colour(c)};margin-right:6px"></span>'
        f"{html_lib.escape(names.get(c, f'cluster {c}'))}</div>"
        for c in graph.clusters
    )
    return (
        '<div id="legend" style="position:absolute;top:8px;left:8px;max-width:45%;'
        "background:rgba(255,255,255,0.88);border:1px solid #d9dee3;border-radius:6px;"
        'padding:6px 9px;font:12px sans-serif;color:#1f2933;pointer-events:none">'
        f"{items}</div>"
    )
