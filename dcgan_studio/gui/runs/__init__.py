"""The Runs workspace: the runs library, runs compared side by side, and branching."""
