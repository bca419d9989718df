"""Piccolo's configuration module (PICCOLO_CONF=server.piccolo_conf).

`DB` is replaced at run time by `server.storage.database.use_database`, so one process
(a test run, say) can switch between SQLite and PostgreSQL.
"""

from piccolo.conf.apps import AppRegistry

from server.settings import Settings
from server.storage.database import engine_for_url

DB = engine_for_url(Settings.from_env().database_url)

APP_REGISTRY = AppRegistry(apps=["server.storage.piccolo_app"])
