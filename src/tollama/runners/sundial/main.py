"""``tollama-runner-sundial``: the library is imported only after stdout is claimed for frames."""

import os

from tollama.runners.adapter import FamilyAdapter
from tollama.runners.loop import serve_lazy


def _build() -> FamilyAdapter:
    os.environ["HF_HUB_OFFLINE"] = "1"  # read at import: the runner loads from absolute snapshot paths only
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from tollama.runners.sundial.adapter import SundialAdapter

    return SundialAdapter()


def main() -> None:
    serve_lazy("sundial", _build)


if __name__ == "__main__":
    main()
