"""The package's shape stays as documented (docs/architecture.md): short functions, no import cycles.

Read from the source with `ast`, so the test fails on the commit that breaks
the rule, with the function or the cycle named. The layer rules themselves are
the import-linter contract in pyproject.toml (`lint-imports`).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "incidentbot"
MAX_FUNCTION_LINES = 80
EXEMPT_FROM_LENGTH: set[str] = set()
EXEMPT_IMPORTS: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _long_functions(tree: ast.AST) -> list[tuple[str, int]]:
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules `module` imports (a `from a import b` of a submodule counts as a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                out.add(target)
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, if any (depth-first search with colours)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t in _imports(name, path, set(modules)) if (name, t) not in EXEMPT_IMPORTS}
            for name, path in modules.items()}


def test_no_function_is_longer_than_80_lines() -> None:
    offenders = []
    for name, path in _modules().items():
        if any(name == p or name.startswith(p + ".") for p in EXEMPT_FROM_LENGTH):
            continue
        for func, length in _long_functions(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{name}.{func}: {length} lines")
    assert not offenders, "functions over 80 lines: " + "; ".join(offenders)


def test_no_import_cycle_between_modules() -> None:
    # function-level imports count too: an import moved into a function to dodge a cycle is still one
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_length_check_measures_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    tree = ast.parse(f"def long():\n{body}\n\ndef short():\n    return 1\n")
    assert _long_functions(tree) == [("long", MAX_FUNCTION_LINES + 1)]


def test_a_deterministic_answer_loads_no_llm_stack_and_no_plotting() -> None:
    """What `ask` imports (the CLI, the pipeline, the terminal renderer) leaves langchain, openai and matplotlib out."""
    code = ("import sys\n"
            "import incidentbot.cli, incidentbot.pipeline, incidentbot.render.terminal, incidentbot.render.json_out\n"
            "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'langchain_core', 'langchain_openai', 'openai',"
            " 'matplotlib'})\n"
            "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "", f"imported on the deterministic path: {out.stdout.strip()}"
