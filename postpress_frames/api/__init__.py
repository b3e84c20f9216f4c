"""The HTTP edge: ``Client`` and ``Page``, request parameters, retries, the cursor strategy."""
