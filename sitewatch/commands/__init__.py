"""CLI subcommands. Each module exposes ``add_parser(subparsers)`` and ``run(args) -> int``;
``sitewatch.cli`` collects them."""
