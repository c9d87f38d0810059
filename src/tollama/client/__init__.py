"""Python clients of the tollama daemon."""

from tollama.client._async import AsyncClient
from tollama.client._sync import Client

__all__ = ["AsyncClient", "Client"]
