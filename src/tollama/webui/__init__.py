"""The web page the daemon serves at ``/ui``: static files shipped inside the package.

Plain HTML, CSS and JavaScript with hand-drawn SVG charts: nothing to build, nothing fetched
from the internet at run time. The daemon's routes for it live in ``tollama.daemon.routes.ui``.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
