"""Answers from a trained model: similar artists and markets. Plain dicts and DataFrames.

The CLI, the dashboard and the uploads all call these functions; none of them computes an
insight of its own.
"""

from core.insights.geographic import geographic_report, market_table
from core.insights.similarity import similar_artists, similarity_report

__all__ = ["geographic_report", "market_table", "similar_artists", "similarity_report"]
