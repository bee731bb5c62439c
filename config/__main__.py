"""`python -m config` is the same as `gcc1111`."""

from config.cli import main

main()
