"""Streamlit in Snowflake entry point (``snow streamlit deploy``; see snowflake.yml).

Runs the same dashboard as ``app.py`` on the session the app runs in: no credentials, and the
listener data never leaves the account. Models go to a folder of the app's own (temporary)
file system, so train one on the Train page after each deployment or restart.
"""

from __future__ import annotations

import os
import runpy
import tempfile
from pathlib import Path

from core.warehouse.active_session import use_active_session

os.environ.setdefault("WAREHOUSE", "snowflake")
os.environ.setdefault("MODEL_DIR", str(Path(tempfile.gettempdir()) / "artist-listener-insights"
                                       / "models"))
use_active_session()
runpy.run_path(str(Path(__file__).with_name("app.py")), run_name="__main__")
