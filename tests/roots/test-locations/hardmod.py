"""A module with a threat in a docstring."""


def handler():
    """Handle a request.

    .. threat:: In a docstring
       :id: T-DOC
       :severity: nope
    """
