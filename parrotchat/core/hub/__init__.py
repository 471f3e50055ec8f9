"""core/hub"""
