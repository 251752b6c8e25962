"""Errors that mean "the user asked for something wrong", as opposed to bugs.

The CLI and the app show these as one clear line; anything else is a bug and
keeps its traceback.
"""


class GenlibError(Exception):
    """Base class for user-facing errors."""


class ConfigError(GenlibError, ValueError):
    """A configuration value is out of range or of the wrong type."""


class DatasetError(GenlibError):
    """A dataset cannot be loaded, imported or is malformed."""


class RunError(GenlibError):
    """A run directory is missing, malformed, or in the wrong state."""
