"""The version of sphinx-threats: one place, read by the package, the
extension's metadata and the build (``pyproject.toml``)."""

__version__ = "0.1.0"
