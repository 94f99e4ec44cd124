"""One module per command group. Each exposes ``register(subparsers)``; the parser it adds sets
``func`` to a callable ``(args, ctx) -> int``."""

from importlib import import_module

# Modules listed here are registered in this order; a module that does not exist yet is skipped
# only if it is genuinely absent (ModuleNotFoundError for that very module).
COMMAND_MODULES = (
    "inventory",
    "sandbox",
    "plan",
    "backend",
    "doctor",
    "run",
    "history",
)


def register_all(subparsers) -> None:
    for name in COMMAND_MODULES:
        qualified = f"{__name__}.{name}"
        try:
            module = import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                continue
            raise
        module.register(subparsers)
