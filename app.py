"""Artist Listener Insights dashboard: the entry point (`streamlit run app.py`, or `make app`).

Only navigation and the shared sidebar live here; each page is a file under ``pages/`` and
every number it shows comes from ``core``. ``st.navigation`` is called once, here, so the page
list and its order are in one place.
"""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(
    page_title="Artist Listener Insights",
    page_icon="🎧",
    layout="wide",
    menu_items={"About": "Artist Listener Insights: similar artists, markets and clusters "
                         "from listener-level streams."},
)

PAGES = [
    st.Page("pages/search.py", title="Artist search", icon=":material/search:", default=True),
    st.Page("pages/markets.py", title="Markets", icon=":material/public:"),
    st.Page("pages/clusters.py", title="Clusters", icon=":material/hub:"),
    st.Page("pages/quality.py", title="Model quality", icon=":material/query_stats:"),
    st.Page("pages/train.py", title="Train & upload", icon=":material/model_training:"),
]

page = st.navigation(PAGES)
selection_slot = common.sidebar()
try:
    page.run()
finally:  # also after st.stop() in an empty state: the sidebar then still shows the selection
    common.show_selection(selection_slot)
