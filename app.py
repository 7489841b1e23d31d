"""Artist Listener Insights dashboard: the entry point (`streamlit run app.py`, or `make app`).

Only navigation and the shared sidebar live here; each page is a file under ``dashboard/pages/``
and every number it shows comes from ``core``. The page files are not in a top-level ``pages/``
folder: Streamlit 1.67 runs a session's first request the legacy (v1) way while that folder
exists, so a bookmarked page URL would open without this file's navigation.
``st.navigation`` is called once, here, so the page list and its order are in one place.
"""

from __future__ import annotations

import streamlit as st

from dashboard import common

st.set_page_config(
    page_title="Artist Listener Insights",
    page_icon="🎧",
    layout="wide",
    menu_items={"About": "Artist Listener Insights: similar artists, markets and clusters "
                         "from listener-level streams."},
)

PAGES = [
    st.Page("dashboard/pages/search.py", title="Artist search", icon=":material/search:",
            default=True),
    st.Page("dashboard/pages/markets.py", title="Markets", icon=":material/public:"),
    st.Page("dashboard/pages/clusters.py", title="Clusters", icon=":material/hub:"),
    st.Page("dashboard/pages/quality.py", title="Model quality", icon=":material/query_stats:"),
    st.Page("dashboard/pages/train.py", title="Train & upload", icon=":material/model_training:"),
]

page = st.navigation(PAGES)
selection_slot = common.sidebar()
try:
    page.run()
finally:  # also after an error in the page; a page's st.stop() drops this too (no selection shown)
    common.show_selection(selection_slot)
