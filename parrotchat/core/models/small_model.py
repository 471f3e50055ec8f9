"""Is the loaded model too small for a template's job?

Tried as a new user would, the 135M starter's "translation" into Korean is not Korean
and its summaries loop and change facts. Below about half a billion parameters that
holds for every model we tried, so the window says so once, in one line, rather than
let a user trust the output.
"""

from __future__ import annotations

TOO_SMALL_PARAMETERS = 500_000_000
DEMANDING_TEMPLATES = frozenset({"translate", "summarize"})


def too_small_for(template: str, parameters: int | None) -> bool:
    """True when `template` is one a model of `parameters` cannot do reliably (an
    unknown count is given the benefit of the doubt)."""
    return (
        template in DEMANDING_TEMPLATES
        and parameters is not None
        and (parameters < TOO_SMALL_PARAMETERS)
    )
