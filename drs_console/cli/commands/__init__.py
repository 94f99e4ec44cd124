"""One module per command group. Each exposes ``register(subparsers)``; the parser it adds sets
``func`` to a callable ``(args, ctx) -> int``.

Only the module of the command being run is imported and registered (start-up time: the command
modules import boto3); every other command gets a stub parser with the same name and help line, so
``drs-console --help`` and the "invalid choice" error read exactly as with every module loaded.
tests/cli/test_lazy_parser.py checks that COMMANDS matches what the modules register.
"""

from importlib import import_module

ALL = "*"  # register every module (tests, and a command COMMANDS does not know)

# command -> (module that registers it, its help line in `drs-console --help`), in help order.
# A module's commands are contiguous: a module registers all of its commands at once.
COMMANDS: dict[str, tuple[str, str]] = {
    "inventory": ("inventory", "list the DRS source servers"),
    "accounts": ("accounts", "list, add, remove and test the other accounts the console reaches"),
    "sandbox": ("sandbox", "run the simulated AWS (moto + DRS simulator)"),
    "plan": ("plan", "create, edit, validate, show and list wave plans"),
    "backend": ("backend", "deploy or inspect the Step Functions backend"),
    "doctor": ("doctor", "check identity, DRS, the deployed backend against this console's, and permissions"),
    "run": ("run", "preflight a plan, then start it as a drill or a real recovery"),
    "preflight": ("run", "check a plan against the connected account without running it"),
    "status": ("run", "show an execution (waves, jobs, servers); --follow watches it"),
    "resume": ("run", "resume a paused execution"),
    "cancel": ("run", "cancel an execution, polling or paused"),
    "cleanup": ("run", "terminate the recovery instances of a finished drill"),
    "report": ("run", "write an execution report (HTML and/or CSV)"),
    "retry-step": ("native", "retry a step of a DRS native execution"),
    "skip-step": ("native", "skip a step of a DRS native execution"),
    "history": ("history", "list the execution history, prune finished executions"),
}
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _help in COMMANDS.values()))


def register_all(subparsers) -> None:
    register_commands(subparsers, ALL)


def register_commands(subparsers, command: str | None) -> None:
    """Register ``command``'s module for real (every module with ALL), a stub for the others."""
    wanted = COMMAND_MODULES if command == ALL else (COMMANDS[command][0],) if command in COMMANDS else ()
    done: set[str] = set()
    for name, (module, help_line) in COMMANDS.items():
        if module in wanted:
            if module not in done:
                done.add(module)
                import_module(f"{__name__}.{module}").register(subparsers)
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
