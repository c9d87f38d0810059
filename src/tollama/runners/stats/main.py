"""``tollama-runner-stats``."""

from tollama.runners.loop import serve
from tollama.runners.stats.adapter import StatsAdapter
from tollama.runners.stats.workers import use_fork_server


def main() -> None:
    use_fork_server()
    serve(StatsAdapter())


if __name__ == "__main__":
    main()
