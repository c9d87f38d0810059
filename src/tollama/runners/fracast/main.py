"""``tollama-runner-fracast``: the library is imported only after stdout is claimed for frames."""

import os

from tollama.runners.adapter import FamilyAdapter
from tollama.runners.loop import serve_lazy


def _build() -> FamilyAdapter:
    # The weights are read from the pulled folder by absolute path; the library would fall back to a
    # hub download for a path that is not a folder, so make sure that can never leave the machine.
    os.environ["HF_HUB_OFFLINE"] = "1"
    from tollama.runners.fracast.adapter import FracastAdapter

    return FracastAdapter()


def main() -> None:
    serve_lazy("fracast", _build)


if __name__ == "__main__":
    main()
