"""engine/local"""
