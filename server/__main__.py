"""`python -m server` runs the `leastmeans` command line."""

from server.cli import main

main()
