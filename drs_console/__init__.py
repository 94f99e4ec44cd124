"""DRS Console: an operator console for AWS Elastic Disaster Recovery."""


def __getattr__(name: str) -> str:
    # The version is read from the package metadata on first use only (importlib.metadata costs
    # start-up time that --help, the CLI commands and the first window do not need).
    if name == "__version__":
        from importlib import metadata

        try:
            version = metadata.version("drs-console")
        except metadata.PackageNotFoundError:  # running from a source tree that is not installed
            version = "0.0.0+unknown"
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
