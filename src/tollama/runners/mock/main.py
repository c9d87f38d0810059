"""``tollama-runner-mock``."""

from tollama.runners.loop import serve
from tollama.runners.mock.adapter import MockAdapter


def main() -> None:
    serve(MockAdapter())


if __name__ == "__main__":
    main()
