"""Sub-commands of ``cdv``: one module each, exposing ``register(subparsers)``."""
