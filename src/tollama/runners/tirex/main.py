"""``tollama-runner-tirex``: the library is imported only after stdout is claimed for frames."""

import os

from tollama.runners.adapter import FamilyAdapter
from tollama.runners.loop import serve_lazy


def _build() -> FamilyAdapter:
    os.environ["HF_HUB_OFFLINE"] = "1"  # the runner loads from absolute snapshot paths only
    from tollama.runners.tirex.adapter import TirexAdapter

    return TirexAdapter()


def main() -> None:
    serve_lazy("tirex", _build)


if __name__ == "__main__":
    main()
