"""core/chats"""
