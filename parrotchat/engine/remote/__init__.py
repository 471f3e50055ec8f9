"""The remote engine: chat through any OpenAI-compatible server (llama-server, vLLM, Ollama).

engine.py implements the `Engine` protocol; http.py is the only module that speaks
HTTP (httpx); probe.py finds out what a server is and serves; token_count.py counts
tokens for the overflow policy; reply.py streams and measures one reply.
"""

from parrotchat.engine.remote.engine import RemoteEngine

__all__ = ["RemoteEngine"]
