"""engine/local/templates"""
