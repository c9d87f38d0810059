"""``tollama-runner-timesfm``: the adapter module (and timesfm) is imported after stdout is claimed."""

from tollama.runners.loop import serve_lazy


def _adapter():
    from tollama.runners.timesfm.adapter import TimesFMAdapter

    return TimesFMAdapter()


def main() -> None:
    serve_lazy("timesfm", _adapter)


if __name__ == "__main__":
    main()
