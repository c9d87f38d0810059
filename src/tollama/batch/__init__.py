"""Batch jobs over files: many series through the forecast contract, on one machine or a Ray cluster.

``forecast_files`` is ``tollama batch``; ``forecast_dataset`` forecasts a Ray Dataset (the
``ray`` extra). Ray itself is imported only when the Ray engine runs.
"""

from tollama.batch.chunk import BatchSpec
from tollama.batch.job import BatchSummary, forecast_files
from tollama.batch.ray_engine import forecast_dataset

__all__ = ["BatchSpec", "BatchSummary", "forecast_dataset", "forecast_files"]
