"""Inference in a child process: the protocol, the host that owns llama.cpp, the client."""
