"""The leastmeans web application, storage and command line."""
