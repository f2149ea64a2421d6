"""The package's shape: no module imports another's private names, and no two modules import each other (directly
or round a longer loop), so each file can be read with only what it imports in mind."""

import ast
import importlib
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
            if name == "partial" and node.args:  # files.write's way: partial(torch.save, samples)
                name, node.args = ast.unparse(node.args[0]), node.args[1:]
            if name in ("torch.save", "save_image") and node.args and ast.unparse(node.args[0]) == "samples":
                writers.append(path.relative_to(PACKAGE).as_posix())
            if name == "generation.write":
                callers.add(path.relative_to(PACKAGE).as_posix())
    assert writers == ["generation.py"]
    assert callers == {"prediction.py", "sample.py", "study/cell.py"}


FOREIGN = ("lightning", "torch", "torchvision")
#: Their private modules too (argparse-style help formatters override jsonargparse's methods by design).
FOREIGN_MODULES = (*FOREIGN, "jsonargparse")


def _foreign(owner: type) -> bool:
    return owner.__module__.split(".")[0] in FOREIGN


def test_only_compat_touches_a_private_name_of_lightning_torch_or_torchvision():
    """A private method overridden or called (``def _x``, ``self._x``, ``super()._x`` where a Lightning, torch or
    torchvision class defines ``_x``), a private module attribute read (``torch._x``) or a private module of
    theirs or jsonargparse's imported (``from jsonargparse._x import y``): only in compat.py."""
    touched = []
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        if name == "gan_manual.compat":
            continue
        module, tree = importlib.import_module(name), ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and ast.unparse(node.value).split(".")[0] in FOREIGN):
                touched.append(f"{name}: {ast.unparse(node)}")
            parts = (node.module or "").split(".") if isinstance(node, ast.ImportFrom) else []
            if parts[:1] and parts[0] in FOREIGN_MODULES and any(part.startswith("_") for part in parts):
                touched.append(f"{name}: from {node.module} import")
        for node in ast.walk(tree):
            cls = getattr(module, node.name, None) if isinstance(node, ast.ClassDef) else None
            if not isinstance(cls, type):
                continue
            used = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
            used |= {a.attr for a in ast.walk(node) if isinstance(a, ast.Attribute)
                     and ast.unparse(a.value) in ("self", "super()")}
            for attr in sorted(a for a in used if a.startswith("_") and not a.startswith("__")):
                owner = next((c for c in cls.__mro__[1:] if attr in vars(c)), None)
                if owner is not None and _foreign(owner):
                    touched.append(f"{name}.{cls.__name__}: {attr} of {owner.__module__}.{owner.__name__}")
    assert not touched


def test_the_data_side_imports_nothing_of_the_model_side():
    """Datamodules serve samples and labels; how samples are generated, and the system, are not theirs."""
    model_side = ("gan_manual.generation", "gan_manual.system", "gan_manual.callbacks", "gan_manual.metrics",
                  "gan_manual.nets", "gan_manual.cli", "gan_manual.labels", "gan_manual.prediction",
                  "gan_manual.guard", "gan_manual.sample")
    reached = {f"{module} -> {imported}" for module, imports in _imports().items()
               if module.startswith("gan_manual.data") for imported in imports if imported.startswith(model_side)}
    assert not reached


def test_the_cli_imports_no_callback():
    """The callbacks a config lists are the config's business; the CLI composes the run from the config and the
    parts every run has (the guard, predict's writer), which live outside ``gan_manual.callbacks``."""
    reached = {f"{module} -> {imported}" for module, imports in _imports().items()
               if module.startswith("gan_manual.cli") for imported in imports
               if imported.startswith("gan_manual.callbacks")}
    assert not reached


#: Files opened for writing outside gan_manual.files, and why they may be: a cell's log is a stream appended to as
#: the cell runs, not a finished file.
STREAMS = {"study/cell.py"}


def test_every_file_is_written_whole_by_files():
    """Nothing writes a file but by way of ``gan_manual.files`` (a temporary file renamed over the old one): no
    ``write_text``/``write_bytes``/``shutil.copy*``, no ``open`` for writing, and ``torch.save``, ``save_image``
    and ``savefig`` only into the file that ``files`` hands them."""
    direct = []
    for path in PACKAGE.rglob("*.py"):
        module = path.relative_to(PACKAGE).as_posix()
        if module == "files.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            args = [ast.unparse(a) for a in node.args]
            mode = args[1] if name == "open" and len(args) > 1 else ""
            if (name.endswith((".write_text", ".write_bytes")) or name.startswith("shutil.copy")
                    or (name == "open" and any(c in mode for c in "wax") and module not in STREAMS)
                    or (name in ("torch.save", "save_image") and len(args) > 1 and args[1] != "file")
                    or (name.endswith(".savefig") and args[:1] != ["target"])):
                direct.append(f"{module}:{node.lineno}: {ast.unparse(node)}")
    assert not direct, direct
