"""The Qt window: views and controllers over parrotchat.core and parrotchat.engine.

PySide6 is imported only under this package (and by the app entry point when it
opens a window). Nothing in core/ or engine/ may import from here.
"""
