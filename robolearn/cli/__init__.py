"""Command-line entry points: ``robolearn <command> [hydra overrides]``.

One small module per command; each calls one library function. Only this package prints.
"""
