"""The one exception type for mistakes a user can fix by changing the config or the command line."""


class ConfigError(ValueError):
    """Raised by components for bad input; the CLI prints its message as one line and exits with code 2.

    The message names the config key (e.g. ``data.root``) and what is allowed.
    """
