"""The one "not found" of the domain: an album, track, artist, job or log row that is not there.

Services and handlers raise `NotFound` with a sentence for people; app.web.errors answers it with the
styled 404 page, or JSON under /api. It is a LookupError, so callers that catch one still catch it.
Below every layer (like app.config): any package may import it, and it imports nothing.
"""

from __future__ import annotations


class NotFound(LookupError):
    """`str(exc)` is the message the 404 shows, e.g. "There is no album <id>."."""
