"""gui/chat"""
