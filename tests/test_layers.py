"""The import structure of pdstudy: layers point one way, and nothing imports in a circle.

DESIGN.md: "A module imports only from layers below it; there are no import
cycles, between packages or between the modules of one." This test reads every
module under ``src/pdstudy`` with :mod:`ast` (nothing is imported), so it checks
the source tree as it is, on its own.

Which imports count
    Every ``import`` and ``from ... import`` of a pdstudy module, wherever it
    stands: at module level, inside a function (a deferred import still makes the
    module depend on the other one; deferring only hides a cycle from the
    interpreter), or under ``if TYPE_CHECKING:``. Relative imports are resolved
    against the importing module.

What an import depends on (the edge)
    The module it names, and only that one:

    - ``import pdstudy.a.b`` and ``from pdstudy.a import b`` where ``b`` is a
      submodule depend on ``pdstudy.a.b``;
    - ``from pdstudy.a import name`` where ``name`` is not a submodule depends on
      ``pdstudy.a``, i.e. on ``pdstudy/a/__init__.py``, which defines or
      re-exports the name.

    Python also runs the ``__init__`` of every enclosing package before the named
    module; that is not counted as an edge. Counting it would make every package
    whose ``__init__`` re-exports its submodules (``fitting/__init__.py`` imports
    ``fitting.solver``) a cycle with each of them, since each submodule would
    "depend" on the ``__init__`` that imports it. With this rule, the edge from a
    package's ``__init__`` to its own submodules is an ordinary edge, and a cycle
    through an ``__init__`` appears exactly when a submodule takes a name from its
    own package's ``__init__`` (``from pdstudy.fitting import fit_curves`` inside
    ``fitting/robust.py``) - which is a real cycle: it works only as long as the
    ``__init__`` happens to import things in the right order.

Cycles
    Strongly connected components (Tarjan) of the module graph, and of the graph
    of top-level subpackages (``pdstudy.study``, ``pdstudy.fitting``, ...; each
    module counted in its subpackage). Each component of more than one node is a
    cycle, reported with one closed import path through it, file and line of each
    step.

Layers
    The layer map is copied from ``../shared/tools/check_layers.py`` (keep the two
    in step); an import pointing from a subpackage to one in a higher layer fails,
    and so does a subpackage that no layer names.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "pdstudy"
ROOT = "pdstudy"

# ---- the layers of DESIGN.md, bottom to top (copied from ../shared/tools/check_layers.py)
LAYERS = [
    (
        "base",
        {
            "errors",
            "units",
            "columns",
            "_version",
            "version",
            "config",
            "logging",
            "types",
            "typing",
            "utils",
        },
    ),
    ("io", {"io"}),
    ("engines", {"fitting", "chromatography", "video", "stats", "pharmacology"}),
    ("domain", {"assays", "design", "simulate", "examples", "data"}),
    ("products", {"report", "store"}),
    ("study", {"study", "parallel", "pipeline"}),
    ("entry", {"cli", "web", "__main__", "app"}),
]
LEVEL = {name: i for i, (_, names) in enumerate(LAYERS) for name in names}


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    file: str  # relative to src/, e.g. pdstudy/fitting/solver.py
    line: int

    def where(self) -> str:
        return f"{self.file}:{self.line}"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def discover(src: Path) -> dict[str, Path]:
    """Every module of the package: dotted name -> file."""
    return {
        module_name(p, src): p for p in sorted(src.rglob("*.py")) if "__pycache__" not in p.parts
    }


def _resolve_relative(me: str, is_pkg: bool, level: int, module: str | None) -> str:
    base = me.split(".")
    if not is_pkg:
        base = base[:-1]  # a module's package
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str, path: Path, modules: dict[str, Path], src: Path) -> Iterator[Edge]:
    """The pdstudy modules that ``name`` imports, one edge per import (see the docstring)."""
    is_pkg = path.name == "__init__.py"
    rel = path.relative_to(src.parent).as_posix()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = (
                _resolve_relative(name, is_pkg, node.level, node.module)
                if node.level
                else node.module or ""
            )
            for a in node.names:
                sub = f"{base}.{a.name}"
                targets.append(sub if sub in modules else base)
        else:
            continue
        seen = set()
        for t in targets:
            if t != ROOT and not t.startswith(ROOT + "."):
                continue
            # ``import pdstudy.a.b`` of something that is not a module: its longest module prefix
            while t not in modules and "." in t:
                t = t.rsplit(".", 1)[0]
            assert t in modules, f"{path}:{node.lineno}: cannot resolve import of {t}"
            if t != name and t not in seen:
                seen.add(t)
                yield Edge(name, t, rel, node.lineno)


def module_graph(src: Path = SRC) -> list[Edge]:
    modules = discover(src)
    assert ROOT in modules, f"no pdstudy sources under {src}"
    return [e for name, path in modules.items() for e in imports_of(name, path, modules, src)]


def top(module: str) -> str:
    """The top-level subpackage (or module) of pdstudy a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def strongly_connected(nodes: Iterable[str], succ: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out


def cycle_path(comp: list[str], edges: dict[tuple[str, str], Edge]) -> list[Edge]:
    """One closed import path through a strongly connected component (shortest
    cycle through its first node, breadth first)."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for (a, b), _ in sorted(edges.items()):
                if a != v or b not in members:
                    continue
                if b == start:
                    path = [edges[(v, start)]]
                    while v != start:
                        path.append(edges[(prev[v], v)])
                        v = prev[v]
                    return path[::-1]
                if b not in prev:
                    prev[b] = v
                    nxt.append(b)
        frontier = nxt
    raise AssertionError(f"no cycle through {comp}")  # pragma: no cover - not an SCC


def cycles(edges: list[Edge], key=lambda m: m) -> list[tuple[frozenset[str], list[Edge]]]:
    """The cycles of the graph whose nodes are ``key(module)``: each strongly
    connected component with its members and one import path around it."""
    first: dict[tuple[str, str], Edge] = {}
    for e in edges:
        a, b = key(e.src), key(e.dst)
        if a != b:
            first.setdefault((a, b), e)
    succ: dict[str, set[str]] = defaultdict(set)
    for a, b in first:
        succ[a].add(b)
    nodes = {n for ab in first for n in ab}
    return [
        (frozenset(c), cycle_path(c, first)) for c in strongly_connected(nodes, succ) if len(c) > 1
    ]


def describe(members: frozenset[str], path: list[Edge], key=lambda m: m) -> str:
    steps = " -> ".join([key(path[0].src)] + [key(e.dst) for e in path])
    where = "; ".join(f"{e.src} imports {e.dst} at {e.where()}" for e in path)
    return f"cycle of {len(members)} ({', '.join(sorted(members))}):\n    {steps}\n    {where}"


# ---------------------------------------------------------------- the checks


def test_the_rules_on_a_small_tree(tmp_path):
    files = {
        "__init__.py": "",
        "errors.py": "",
        "eng/__init__.py": "from .a import f\nfrom pdstudy.eng.b import g\n",
        "eng/a.py": "from ..errors import E\n\ndef f():\n    from . import b\n",
        "eng/b.py": "import pdstudy.errors\nfrom pdstudy.eng import a\n",
        "eng/c.py": "from pdstudy.eng import f\n",  # a name of its own package's __init__
        "eng/sub/__init__.py": "from ... import errors\nfrom ..a import f\n",
    }
    for name, text in files.items():
        (tmp_path / "pdstudy" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pdstudy" / name).write_text(text)
    edges = module_graph(tmp_path / "pdstudy")
    assert {(e.src, e.dst) for e in edges} == {
        ("pdstudy.eng", "pdstudy.eng.a"),  # relative, a re-export
        ("pdstudy.eng", "pdstudy.eng.b"),
        ("pdstudy.eng.a", "pdstudy.errors"),  # two levels up
        ("pdstudy.eng.a", "pdstudy.eng.b"),  # inside a function; ``from . import`` a submodule
        ("pdstudy.eng.b", "pdstudy.errors"),
        ("pdstudy.eng.b", "pdstudy.eng.a"),  # ``from package import submodule``
        ("pdstudy.eng.c", "pdstudy.eng"),  # ``from package import name``: the __init__
        ("pdstudy.eng.sub", "pdstudy.errors"),
        ("pdstudy.eng.sub", "pdstudy.eng.a"),
    }
    found = {m for m, _ in cycles(edges)}
    # a.b <-> b.a is a cycle; the re-exports of eng/__init__ are not, except with c,
    # which takes a name from the __init__ that does not import it: no cycle either
    assert found == {frozenset({"pdstudy.eng.a", "pdstudy.eng.b"})}
    (tmp_path / "pdstudy" / "eng" / "__init__.py").write_text("from .c import *\n")
    assert frozenset({"pdstudy.eng", "pdstudy.eng.c"}) in {
        m for m, _ in cycles(module_graph(tmp_path / "pdstudy"))
    }


def test_the_import_graph_is_read():
    # the graph of the real tree resolves the kinds of import it uses
    edges = {(e.src, e.dst) for e in module_graph()}
    assert len(discover(SRC)) > 10
    assert ("pdstudy.fitting", "pdstudy.fitting.solver") in edges  # __init__ re-export
    assert ("pdstudy.fitting.solver", "pdstudy.fitting._linalg") in edges  # absolute
    assert ("pdstudy.fitting._linalg", "pdstudy.fitting._kernels") in edges  # in a function


def test_no_import_cycle_between_modules():
    found = cycles(module_graph())
    problems = []
    for members, path in found:
        problems.append(describe(members, path))
    assert not problems, "import cycles between modules:\n" + "\n".join(problems)


def test_no_import_cycle_between_subpackages():
    edges = [e for e in module_graph() if top(e.src) != "__init__" and top(e.dst) != "__init__"]
    found = cycles(edges, key=top)
    msgs = [describe(m, p, key=top) for m, p in found]
    assert not msgs, "import cycles between subpackages:\n" + "\n".join(msgs)


def test_imports_point_down_the_layers():
    up, unplaced = [], set()
    for e in module_graph():
        a, b = top(e.src), top(e.dst)
        if "__init__" in (a, b) or a == b:
            continue
        unplaced |= {n for n in (a, b) if n not in LEVEL}
        if a in LEVEL and b in LEVEL and LEVEL[b] > LEVEL[a]:
            up.append(
                f"{e.where()}: {e.src} ({LAYERS[LEVEL[a]][0]}) imports {e.dst} "
                f"({LAYERS[LEVEL[b]][0]})"
            )
    assert not unplaced, f"subpackages no layer names (extend LAYERS): {sorted(unplaced)}"
    assert not up, "imports pointing up the layers:\n" + "\n".join(up)
