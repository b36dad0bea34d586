"""`python -m tool_server` does what `coach-image-tools serve` does."""

from tool_server.cli import main

if __name__ == "__main__":
    main()
