"""``tollama-runner-uni2ts``: the adapter module (and uni2ts) is imported after stdout is claimed."""

from tollama.runners.loop import serve_lazy


def _adapter():
    from tollama.runners.uni2ts.adapter import MoiraiAdapter

    return MoiraiAdapter()


def main() -> None:
    serve_lazy("uni2ts", _adapter)


if __name__ == "__main__":
    main()
