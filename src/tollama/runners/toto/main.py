"""``tollama-runner-toto``: the library is imported only after stdout is claimed for frames."""

import os

from tollama.runners.adapter import FamilyAdapter
from tollama.runners.loop import serve_lazy


def _build() -> FamilyAdapter:
    os.environ["HF_HUB_OFFLINE"] = "1"  # read at import: the runner loads from absolute snapshot paths only
    from tollama.runners.toto.adapter import TotoAdapter

    return TotoAdapter()


def main() -> None:
    serve_lazy("toto", _build)


if __name__ == "__main__":
    main()
