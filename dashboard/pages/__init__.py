"""The desk's pages, one module per section; each offers `routes(desk)` for the app to mount."""
