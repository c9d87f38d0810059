"""tollama: a local-first forecasting daemon and CLI for time-series foundation models."""

__version__ = "0.1.0"
