"""The versions a result was computed with: leastmeans and the numerical libraries.

Read from the installed distributions' metadata, so asking costs no import of the libraries
(the command line's `--version` stays fast) and is fixed for a given installation (a result's
JSON stays byte-reproducible).
"""

from importlib import metadata

#: The distributions whose versions can change a result's numbers (the JSON records each one).
NUMERICAL_LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "choix", "pyarrow")


def software_version() -> str:
    """The installed leastmeans version, or ``"0+unknown"`` when not installed."""
    try:
        return metadata.version("leastmeans")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def library_versions() -> dict[str, str]:
    """The installed version of each of NUMERICAL_LIBRARIES (``"not installed"`` when absent)."""
    versions = {}
    for name in NUMERICAL_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
