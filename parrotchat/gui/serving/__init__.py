"""Serving the window's loaded model as an OpenAI-compatible API (issue #12).

window_server.py  starts and stops serve's ASGI app on the window's engine
serve_panel.py    the status-bar widget: address, key, requests answered
"""
