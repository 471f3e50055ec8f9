"""The headless command line: self-test, ask, chats and models, for admins and scripts."""
