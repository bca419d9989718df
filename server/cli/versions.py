"""`leastmeans --version`: the program's version and the numerical libraries' it computes with."""

from analysis.versions import library_versions, software_version


def version_text() -> str:
    """One line: leastmeans and each numerical library with its installed version."""
    libraries = ", ".join(f"{name} {version}" for name, version in library_versions().items())
    return f"leastmeans {software_version()} ({libraries})"
