"""Documents in the window: the Documents dialog, the per-chat choice of collections,
and replies whose [1], [2] open the file they cite."""
