"""Errors that mean "the user asked for something wrong", as opposed to bugs.

The CLI and the app show these as one clear line; anything else is a bug and
keeps its traceback.
"""


class GenlibError(Exception):
    """Base class for user-facing errors."""


class ConfigError(GenlibError, ValueError):
    """A configuration value is out of range or of the wrong type.

    ``field`` names the field when one is to blame, so a form can show the message
    next to that field's label.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class DatasetError(GenlibError):
    """A dataset cannot be loaded, imported or is malformed."""


class RunError(GenlibError):
    """A run directory is missing, malformed, or in the wrong state."""


class RunGone(RunError):
    """No run by that id (never made, or deleted, perhaps in another window)."""


class DatasetOffline(DatasetError):
    """A downloadable dataset could not be fetched; ``example_file`` is what to import instead."""

    def __init__(self, name: str, reason: str, example_file: str):
        self.name, self.reason, self.example_file = name, reason, example_file
        super().__init__(
            f"could not download {name} ({reason}); this machine seems to be offline. "
            f"Get the files elsewhere and import them: "
            f"python -m genlib import {example_file} --name {self.suggested_name}"
        )

    @property
    def suggested_name(self) -> str:
        return "my-" + self.name.replace("_", "-")
