"""`python -m wcfevents`."""

from wcfevents.cli import main

if __name__ == "__main__":
    main()
