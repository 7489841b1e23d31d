"""The similarity graph: to neo4j through the official driver, or to files for neo4j's tools.

``graph_data`` turns a model into node and relationship rows, ``upload_graph`` writes them
through a Cypher runner (the neo4j driver, or embedded FalkorDB in tests), ``export_files`` /
``export_zip`` write the same graph as ``neo4j-admin`` CSV files and a ``cypher-shell`` script.
All Cypher lives in ``core.graph.cypher``.
"""

from core.graph.data import DEFAULT_TOP_N, GraphData, graph_data
from core.graph.export import export_files, export_zip
from core.graph.upload import DEFAULT_BATCH_SIZE, CypherRunner, GraphUploadReport, upload_graph

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_TOP_N",
    "CypherRunner",
    "GraphData",
    "GraphUploadReport",
    "export_files",
    "export_zip",
    "graph_data",
    "upload_graph",
]
