"""The `switchboard` CLI's subcommands: each module exposes register(subparsers)."""
