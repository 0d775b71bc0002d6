"""The command line's commands (click), thin over the library."""
