"""Tablet settings read once from the environment (kiosk timing, resume-code life)."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class TabletSettings:
    """How long a kiosk waits before asking "are you still there?", and then before clearing."""

    kiosk_idle_seconds: int = 90
    kiosk_grace_seconds: int = 30
    resume_code_days: int = 14

    @classmethod
    def from_env(cls) -> "TabletSettings":
        """Read LEASTMEANS_KIOSK_IDLE_SECONDS, LEASTMEANS_KIOSK_GRACE_SECONDS, LEASTMEANS_RESUME_CODE_DAYS."""
        return cls(
            kiosk_idle_seconds=int(os.environ.get("LEASTMEANS_KIOSK_IDLE_SECONDS", "90")),
            kiosk_grace_seconds=int(os.environ.get("LEASTMEANS_KIOSK_GRACE_SECONDS", "30")),
            resume_code_days=int(os.environ.get("LEASTMEANS_RESUME_CODE_DAYS", "14")),
        )


TABLET_SETTINGS = TabletSettings.from_env()
