"""The HTTP edge: ``Client`` (client), ``Page`` and reading bodies (page, body), the client's
settings and where the key may go (settings), request parameters (params), retries (retry),
the cursor strategy (pagination) and the ids already yielded (seen)."""
