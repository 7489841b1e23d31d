"""Stand-ins shared by the tests and the benchmarks; not part of the installed package.

``generated`` builds a random model of any size, ``falkordb`` runs the uploader's Cypher on an
embedded FalkorDB, ``browser`` starts the dashboard and a headless Chromium. Neither the tests
nor the benchmarks import each other: both import these.
"""
