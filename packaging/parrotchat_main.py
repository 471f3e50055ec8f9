"""PyInstaller's entry script: the frozen app runs `parrotchat.app.main`.

The engine process is this same executable started again by multiprocessing
(`--multiprocessing-fork ...`); `main()` calls `multiprocessing.freeze_support()`
first, which PyInstaller's runtime hook turns into "run the engine, then exit".
"""

from parrotchat.app import main

if __name__ == "__main__":
    raise SystemExit(main())
