"""Regenerate data/sample/: the first three pages of demo_chat(75, seed=0), as served.

Run from the repository root: ``.venv/bin/python data/make_sample.py``. The pages are the
exact response bodies of FakePostpress for ``?limit=25``, then each returned cursor.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from postpress_frames.testing import FakePostpress, demo_chat

OUT = Path(__file__).resolve().parent / "sample"
PAGES = 3
LIMIT = 25


def main() -> None:
    OUT.mkdir(exist_ok=True)
    chat = demo_chat(PAGES * LIMIT, seed=0)
    with FakePostpress({FakePostpress.DEMO_CHAT_ID: chat}) as server:
        cursor = None
        with requests.Session() as session:
            session.headers.update({"X-API-KEY": server.api_key, "accept": "application/json"})
            for number in range(1, PAGES + 1):
                query = {"limit": LIMIT, **({"cursor": cursor} if cursor else {})}
                url = f"{server.base_url}/chats/{server.chat_id}/messages"
                response = session.get(url, params=query, timeout=10)
                response.raise_for_status()
                body = response.content
                (OUT / f"page-{number}.json").write_bytes(body)
                cursor = json.loads(body)["cursor"]
                print(f"page-{number}.json: {len(body)} bytes, next cursor {cursor}")
    if cursor is not None:
        raise SystemExit("expected the last page to have a null cursor")


if __name__ == "__main__":
    main()
