"""Planner settings for the desk's reads on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

SSD_RANDOM_PAGE_COST = 1.1


def prefer_index_lookups(conn: sa.Connection) -> None:
    """Cost random reads as on an SSD for this transaction only.

    PostgreSQL's default random_page_cost (4) models spinning disks: with it, a day's ten thousand
    mentions are joined to their classifications by reading the whole classifications table (a hash
    join, ~250 ms at a million rows) instead of ten thousand index lookups (~20 ms). Deployments on
    SSD should set it server-wide (see docs/dashboard.md); SET LOCAL makes the desk fast either way
    and ends with the transaction, so no other query on the pooled connection is affected.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL random_page_cost = {SSD_RANDOM_PAGE_COST}")
