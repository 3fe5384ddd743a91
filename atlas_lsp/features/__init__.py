"""The code actions: what they act on (targets, tasks, rewrites) and the LSP handlers around them.

`targets`, `rewrite` and `actions` know nothing about LSP; the headless `--solve/--verify/--repair`
commands use them exactly as the server does. The other modules are one LSP concern each.
"""
