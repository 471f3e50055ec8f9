"""`python -m parrotchat` runs the same entry point as the `parrotchat` command."""

from parrotchat.app import main

if __name__ == "__main__":
    raise SystemExit(main())
