"""Persistence: Piccolo tables, engine selection and migrations."""

import os

# Piccolo resolves its engine through this module when a table class is created,
# so it must be set before any table module is imported.
os.environ.setdefault("PICCOLO_CONF", "server.piccolo_conf")
