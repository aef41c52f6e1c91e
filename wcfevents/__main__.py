"""`python -m wcfevents`."""

from wcfevents.cli import entry_point

if __name__ == "__main__":
    entry_point()
