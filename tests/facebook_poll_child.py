"""Run one Facebook feed poll in its own process, so a test can SIGKILL it part-way.

Usage: facebook_poll_child.py DATABASE_URL GRAPH_URL PAGE_ID TOKEN CLOCK_ISO
"""

from __future__ import annotations

import sys
from datetime import datetime

from core.clock import ManualClock
from core.store import Store
from scrapers.facebook import GraphClient, PageFeedSource
from scrapers.listener import Listener


def main(database_url: str, graph_url: str, page_id: str, token: str, clock_iso: str) -> None:
    clock = ManualClock(datetime.fromisoformat(clock_iso))
    store = Store.open(database_url, clock)
    client = GraphClient(graph_url, "v25.0", token, clock=clock, timeout=120)
    source = PageFeedSource(client, page_id, clock, page_size=2)
    Listener([source], store.mentions, store.health, clock).poll_all(force=True)
    print("finished", flush=True)  # the test kills us before this line


if __name__ == "__main__":
    main(*sys.argv[1:6])
