"""The window's EngineController drives a remote server unchanged: same signals, same Stop."""

from __future__ import annotations

from llama_cpp_server import TEST_API_KEY, LlamaCppServer
from pytestqt.qtbot import QtBot

from parrotchat.core.servers import ServerConfig
from parrotchat.engine.protocol import ChatRequest, LoadRequest
from parrotchat.engine.remote import RemoteEngine
from parrotchat.gui.engine_controller import EngineController


def test_controller_loads_streams_and_stops_a_remote_reply(
    qtbot: QtBot, llama_cpp_server: LlamaCppServer
) -> None:
    config = ServerConfig(
        "llama", llama_cpp_server.url, api_key=TEST_API_KEY, context_length=llama_cpp_server.n_ctx
    )
    controller = EngineController(client=RemoteEngine(config))
    try:
        with qtbot.waitSignal(controller.engineReady, timeout=30_000) as ready:
            controller.start()
        assert ready.args == [{"backend": "llama-cpp-python", "gpu_offload": False}]
        with qtbot.waitSignal(controller.modelLoaded, timeout=30_000) as loaded:
            controller.load(LoadRequest(path=llama_cpp_server.alias))
        assert loaded.args[0]["backend"] == "llama-cpp-python" and loaded.args[0]["n_ctx"] == 2048

        pieces: list[str] = []
        controller.tokenReceived.connect(lambda _id, text, _n: pieces.append(text))
        messages = [{"role": "user", "content": "Tell me a long story about a parrot."}]
        req_id = controller.chat(ChatRequest(messages, {"max_tokens": 1000}))
        qtbot.waitUntil(lambda: len(pieces) >= 3, timeout=60_000)
        with qtbot.waitSignal(controller.replyFinished, timeout=5000) as finished:
            controller.stop(req_id)
        assert finished.args[0] == req_id
        assert finished.args[1]["stop_reason"] == "cancelled"

        with qtbot.waitSignal(controller.loadFailed, timeout=30_000) as failed:
            controller.load(LoadRequest(path="no-such-model"))
        assert "has no model 'no-such-model'" in failed.args[0]
    finally:
        controller.shutdown()
