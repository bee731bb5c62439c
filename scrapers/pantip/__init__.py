"""Pantip listening: a Scrapy crawl of tracked tags, rooms and keyword search, run in a child process."""
