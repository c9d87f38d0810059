"""``huggingface_hub`` and network exceptions translated into ``core.errors``, at the edge.

Hub answers map as the API promises: unknown repo, revision or file -> ``ModelNotFound`` (404);
401 (no token, or a token the hub rejects) -> ``Unauthorized``; 403 (a valid token without access,
e.g. gated terms not accepted) -> ``PermissionDenied``; both exit 5 in the CLI. Nothing in a
message may carry the token or a proxy password.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tollama.core.errors import ModelNotFound, PermissionDenied, TollamaError, Unauthorized
from tollama.core.redaction import redact_text, redact_url

if TYPE_CHECKING:
    from tollama.daemon.hf_download import DownloadJob

_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def offline_message(job: DownloadJob, cache_dir: str, why: str) -> str:
    return (
        f"model '{job.model}' ({job.repo_id}@{job.revision}) is not in the Hugging Face cache {cache_dir} "
        f"({why}) and offline mode is on (from {job.offline_source}); pull it online first: "
        f"`tollama pull {job.model} --online`"
    )


def translate_hub_error(exc: Exception, job: DownloadJob, cache_dir: str, endpoint: str) -> TollamaError:
    error = _translate(exc, job, cache_dir, endpoint)
    error.message = redact_text(error.message, (job.token,))
    return error


def _translate(exc: Exception, job: DownloadJob, cache_dir: str, endpoint: str) -> TollamaError:
    import httpx2
    from huggingface_hub.errors import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    where = f"{job.repo_id}@{job.revision}"
    status = getattr(getattr(exc, "response", None), "status_code", None)
    token_hint = "set TOLLAMA_HF_TOKEN or pass --token"
    if isinstance(exc, LocalEntryNotFoundError) and job.offline:
        return ModelNotFound(offline_message(job, cache_dir, "no complete snapshot of it there"))
    if isinstance(exc, GatedRepoError):
        if status == 403:
            return PermissionDenied(
                f"your Hugging Face token has no access to gated repo {job.repo_id}; "
                f"accept its terms at {endpoint}/{job.repo_id} with that account, then pull again"
            )
        return Unauthorized(f"{job.repo_id} is gated on {endpoint} and needs a token with access: {token_hint}")
    if isinstance(exc, RevisionNotFoundError):
        return ModelNotFound(
            f"revision '{job.revision}' of {job.repo_id} does not exist on {endpoint}; "
            "the registry pin may be stale (docs/pull.md says how to update it)"
        )
    if isinstance(exc, RepositoryNotFoundError):
        return ModelNotFound(
            f"Hugging Face repo {job.repo_id} was not found on {endpoint} (a private repo also needs a token)"
        )
    if isinstance(exc, EntryNotFoundError):
        return ModelNotFound(f"a file of {where} is missing on {endpoint}: {_first_line(exc)}")
    if isinstance(exc, HfHubHTTPError) and status == 401:
        return Unauthorized(f"{endpoint} rejected the Hugging Face token (401) for {job.repo_id}; {token_hint}")
    if isinstance(exc, HfHubHTTPError) and status == 403:
        return PermissionDenied(f"{endpoint} refused access to {job.repo_id} (403); check the token's permissions")
    if isinstance(exc, httpx2.ProxyError | httpx2.ConnectError | httpx2.TimeoutException) or (
        isinstance(exc, LocalEntryNotFoundError) and isinstance(exc.__cause__, httpx2.TransportError)
    ):
        return TollamaError(
            f"cannot reach {endpoint} for {where} ({type(exc).__name__}{_proxy_note()}); check the network "
            f"and proxy settings, or pull a cached model with `tollama pull {job.model} --offline`"
        )
    if isinstance(exc, HfHubHTTPError):
        return TollamaError(f"{endpoint} answered {status} for {where}: {_first_line(exc)}")
    if isinstance(exc, OSError) and exc.strerror:
        return TollamaError(f"cannot write the Hugging Face cache {cache_dir}: {exc.strerror}")
    return TollamaError(f"pulling {where} failed: {type(exc).__name__}: {_first_line(exc)}")


def _proxy_note() -> str:
    proxies = sorted({redact_url(os.environ[name]) for name in _PROXY_VARS if os.environ.get(name)})
    return f" via proxy {', '.join(proxies)}" if proxies else ""


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]
