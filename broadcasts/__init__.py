"""Broadcasts: planned public posts from text or templates over live feeds, approved by a second person,
published exactly once per occurrence and channel by the lease-holding scheduler."""
