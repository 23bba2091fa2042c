"""Typed upstream failures: each carries an `error_code` for the log and says whether a retry can help."""

from __future__ import annotations


class SourceError(Exception):
    """Base of every upstream failure. `source` names the service (MUSICBRAINZ, SPOTIFY, ...)."""

    error_code = "UPSTREAM_ERROR"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        url: str = "",
        status: int | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.url = url
        self.status = status
        self.retry_after = retry_after
        self.attempts = attempts

    def __str__(self) -> str:
        where = f"{self.source} " if self.source else ""
        tries = f" after {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{where}{self.message}{tries}"


class UpstreamUnavailable(SourceError):
    """5xx or no connection: `error_code` is UPSTREAM_<status> (e.g. UPSTREAM_503) or UPSTREAM_UNREACHABLE."""

    retryable = True

    @property
    def error_code(self) -> str:  # type: ignore[override]
        return f"UPSTREAM_{self.status}" if self.status else "UPSTREAM_UNREACHABLE"


class RateLimited(SourceError):
    """429: the service asked us to slow down; `retry_after` in seconds when it said so."""

    error_code = "RATE_LIMITED"
    retryable = True


class UpstreamTimeout(SourceError):
    error_code = "TIMEOUT"
    retryable = True


class MalformedResponse(SourceError):
    """Truncated or invalid JSON, or JSON of an unexpected shape: the same bytes would come back."""

    error_code = "MALFORMED_RESPONSE"


class NotFound(SourceError):
    error_code = "NOT_FOUND"


class UpstreamRejected(SourceError):
    """Any other 4xx (bad query, credentials refused): retrying the same request cannot help."""

    @property
    def error_code(self) -> str:  # type: ignore[override]
        return f"UPSTREAM_{self.status}"


class SourceDisabled(SourceError):
    """The source has no credentials configured; nothing was sent."""

    error_code = "SOURCE_DISABLED"


class InvalidRecord(SourceError):
    """An upstream record the catalog refuses (an id of the wrong form, no title): the same bytes
    would come back, so it is one FAILED row and the rest of the run goes on."""

    error_code = "INVALID_RECORD"


class UnsafeUrl(SourceError):
    """A URL (or a redirect) to a host outside the allow-list, a private address or another scheme:
    nothing was fetched or stored."""

    error_code = "UNSAFE_URL"
