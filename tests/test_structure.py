"""The package's shape: no module imports another's private names, and no two modules import each other (directly
or round a longer loop), so each file can be read with only what it imports in mind."""

import ast
from pathlib import Path

import gan_manual

PACKAGE = Path(gan_manual.__file__).parent


def _imports() -> dict[str, set[str]]:
    """Module -> the gan_manual modules it imports (``from gan_manual.x import y`` counts as x, or x.y if a module)."""
    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__"): p
               for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_manual"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    graph[name].add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name.startswith("gan_manual")}
    return graph


def test_no_module_imports_a_private_name():
    private = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_manual"):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert not private


def test_no_import_cycle():
    graph, cycles, done = _imports(), [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" -> ".join(path[path.index(module):] + [module]))
        elif module not in done:
            for imported in graph.get(module, ()):
                visit(imported, path + [module])
            done.add(module)

    for module in graph:
        visit(module, [])
    assert not cycles


def test_one_function_writes_finished_samples():
    """``generation.write``: predict, the sample command and a study's cells all call it, and nothing else saves a
    tensor named ``samples``."""
    writers, callers = [], set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if name in ("torch.save", "save_image") and node.args and ast.unparse(node.args[0]) == "samples":
                writers.append(path.relative_to(PACKAGE).as_posix())
            if name == "generation.write":
                callers.add(path.relative_to(PACKAGE).as_posix())
    assert writers == ["generation.py"]
    assert callers == {"callbacks/samples.py", "sample.py", "study/cell.py"}
