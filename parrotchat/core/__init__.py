"""Plain-Python core: paths, settings, chat store, model library, prompt templates.

No Qt, no llama_cpp here: everything is usable from scripts and tests without a window.
"""
