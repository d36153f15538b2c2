"""The one exception type whose message is shown to a user as it is (CLI line, GUI dialog)."""


class NystraError(Exception):
    """A problem with the user's input or environment; the message names it and what to do."""
