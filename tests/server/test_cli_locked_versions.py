"""`make install` installs exactly requirements.lock: every locked distribution that applies to this
Python and platform is installed at its locked version (a drifted environment fails here)."""

import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s\\]+(?:\s*;[^\\]+)?)\s*\\?$")


def locked() -> dict[str, str]:
    """Distribution name -> locked version, for the lines whose marker applies here."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        found = _PINNED.match(line)
        if not found:
            continue
        requirement = Requirement(found.group(1))
        if requirement.marker is None or requirement.marker.evaluate():
            (spec,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def test_the_lock_pins_every_runtime_and_test_dependency_with_hashes() -> None:
    pins = locked()
    for name in ("numpy", "pandas", "scipy", "statsmodels", "choix", "pyarrow", "litestar", "pytest"):
        assert name in pins, f"requirements.lock: {name} is not locked"
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    unhashed = [
        line for number, line in enumerate(lines)
        if _PINNED.match(line) and not (number + 1 < len(lines) and lines[number + 1].strip().startswith("--hash=sha256:"))
    ]
    # `pip install --require-hashes` (make install) refuses a lock with any pin lacking a hash.
    assert not unhashed, f"requirements.lock: pins without a hash: {unhashed}"


def test_every_locked_distribution_is_installed_at_its_locked_version() -> None:
    drift = []
    for name, pinned in sorted(locked().items()):
        try:
            installed = version(name)
        except PackageNotFoundError:
            drift.append(f"{name}: locked {pinned}, not installed")
            continue
        if installed != pinned:
            drift.append(f"{name}: locked {pinned}, installed {installed}")
    assert not drift, "run `make install` (the environment differs from requirements.lock):\n" + "\n".join(drift)
