"""The chat service: one chat turn, the same for every front end.

The window, the CLI and (later) the API server differ in how they show a reply, never
in how a turn is built, counted, saved or cut to fit. Plain Python: no Qt, no
llama_cpp; it talks to an `Engine` and cannot tell the local engine from a server.
"""
