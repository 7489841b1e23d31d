"""Answers from a trained model: similar artists and markets. Plain dicts and DataFrames.

The CLI, the dashboard and the uploads all call these functions; none of them computes an
insight of its own.
"""

from core.insights.batch import artist_row
from core.insights.geographic import geographic_answers, territory_summary
from core.insights.market_tables import market_table, opportunity_table
from core.insights.opportunities import opportunity_summary, ranked_opportunities
from core.insights.similarity import similar_artists, similarity_answers

__all__ = ["artist_row", "geographic_answers", "market_table", "opportunity_summary",
           "opportunity_table", "ranked_opportunities", "similar_artists", "similarity_answers",
           "territory_summary"]
