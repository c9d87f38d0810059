"""Per-family isolated runtimes: a venv per runner family, built on first use.

The interface other modules use is ``RuntimeManager`` (``manager.py``): ``command_for(family)``
for the runner's command line, ``prepare(family)`` (async status events) before a runner starts,
``identity(family)`` for restart-on-change, ``install``/``remove``/``describe`` for the CLI and
``/api/info``. What each family installs is data in ``recipes.py``.
"""

from tollama.daemon.runtimes.manager import RuntimeManager
from tollama.daemon.runtimes.recipes import RECIPES, TOLLAMA, TORCH_PIN, Recipe, Step, step

__all__ = ["RECIPES", "TOLLAMA", "TORCH_PIN", "Recipe", "RuntimeManager", "Step", "step"]
