"""The layout of ARCHITECTURE.md, pinned: imports point down, every rule has one home, every
Excel function has a core function of its own name, and the product imports no dev tool."""

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import xlcredits
from xlcredits import udfs

PACKAGE = Path(xlcredits.__file__).parent

# Layers, lowest first: a module may import its own layer or those below it, never above.
LAYERS = [
    {"errors", "inputs", "rates", "dates"},
    {"agentforce", "logins", "editions", "credits", "terms", "costs", "statements"},
    {"excel", "tables"},
    {"register", "loginhistory", "udfs"},
    {"loginmix", "portfolio", "expiries", "workbook"},
    {"batch"},
    {"cli"},
]
CORE = LAYERS[0] | LAYERS[1]
IO_LIBRARIES = {"openpyxl", "duckdb", "zipfile", "xlwings", "pandas", "defusedxml",
                "subprocess", "formulas"}  # (rates reads its bundled CSV with csv)


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def imports(path: Path) -> set[str]:
    """Modules of the package and libraries that ``path`` imports, anywhere in the file."""
    found = set()
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - node.level + 1])
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
                found |= set(names)
            else:
                found.add(node.module)
    return found


def product_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        if rel.parts[0] == "devtools" or rel.name == "__init__":
            continue
        yield ".".join(rel.parts), path


def test_the_layout_is_the_target_one():
    modules = {name for name, _ in product_modules()}
    assert modules == {
        "errors", "inputs", "dates", "rates", "agentforce", "logins", "editions", "credits",
        "terms", "costs", "statements", "excel", "udfs", "tables", "register", "portfolio",
        "loginmix", "loginhistory", "expiries", "batch", "cli", "workbook.schema", "workbook.entries",
        "workbook.build", "workbook.read", "workbook.files", "workbook.xstring",
        "workbook.reports"}
    assert {p.stem for p in (PACKAGE / "devtools").glob("*.py")} == {
        "__init__", "engine", "screenshots", "libreoffice", "lo_edit"}


@pytest.mark.parametrize("name,path", list(product_modules()), ids=lambda x: str(x))
def test_imports_point_down(name, path):
    mine = layer_of(name)
    for imported in imports(path):
        if imported.startswith("xlcredits."):
            target = imported.removeprefix("xlcredits.")
            if target == "__version__":
                continue  # attributes of the package itself
            if target.startswith("devtools"):
                assert name == "cli", f"{name} imports the dev tools"
                continue
            if target.split(".")[0] == name.split(".")[0]:
                continue  # within the workbook package
            assert layer_of(target) <= mine, f"{name} (layer {mine}) imports {target} (up)"
        elif name.split(".")[0] in CORE:
            assert imported.split(".")[0] not in IO_LIBRARIES, f"core {name} imports {imported}"
    if name.startswith("workbook"):
        assert not {"xlcredits.udfs", "xlcredits.excel"} & imports(path)


def test_importing_the_workbook_package_pulls_in_no_excel_or_test_library():
    code = ("import sys, xlcredits.workbook.build, xlcredits.workbook.read, "
            "xlcredits.workbook.reports, xlcredits.batch, xlcredits.cli; "
            "print(sorted(m for m in ('xlwings', 'formulas', 'pytest', 'hypothesis', 'schedula', "
            "'xlcredits.udfs', 'xlcredits.devtools') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_excel_layer_imports_no_threads_processes_or_duckdb():
    # xlwings Lite runs udfs in Pyodide: no threads, no processes, no DuckDB wheel
    code = ("import sys, xlcredits.udfs; print(' '.join(sorted(m for m in sys.modules "
            "if m.startswith('xlcredits'))), '|', 'duckdb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded, duckdb = out.split("|")
    assert duckdb.strip() == "False"
    for name in loaded.split():
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
        banned = {"threading", "multiprocessing", "concurrent.futures", "subprocess", "duckdb"}
        assert not banned & imports(path), name


UDFS = {n: f for n, f in vars(udfs).items()
        if callable(f) and n.isupper() and f.__module__ == udfs.__name__}


@pytest.mark.parametrize("name", sorted(UDFS))
def test_every_udf_calls_the_core_function_of_its_own_name(name):
    tree = ast.parse(inspect.getsource(UDFS[name]))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", "") == "call"]
    assert len(calls) == 1
    label, target = calls[0].args[:2]
    assert label.value == name
    module, function = target.value.id, target.attr
    assert function.replace("_", "").upper() == name  # FLEXCROSSOVER -> flex_crossover
    core = getattr(xlcredits, module, None) or __import__(f"xlcredits.{module}",
                                                          fromlist=["_"])
    assert function in core.__all__


def test_core_modules_declare_their_api_and_keep_helpers_private():
    for name in sorted(CORE | {"statements", "tables", "excel", "register"}):
        module = __import__(f"xlcredits.{name}", fromlist=["_"])
        assert hasattr(module, "__all__"), name
        public = {n for n, v in vars(module).items() if inspect.isfunction(v)
                  and v.__module__ == module.__name__ and not n.startswith("_")}
        assert public <= set(module.__all__), f"{name}: public but not in __all__: " \
                                              f"{public - set(module.__all__)}"


def test_duckdb_is_optional_and_its_absence_is_a_clean_message(tmp_path):
    # the logins extra: a Lite install (micropip, no DuckDB for Pyodide on PyPI) lacks it
    csv = tmp_path / "LoginHistory.csv"
    csv.write_text("Username,Login Time,Status\na@x.com,1/15/2026 11:30:05 PM,Success\n")
    code = ("import sys; sys.modules['duckdb'] = None\n"
            "import xlcredits.cli, xlcredits.udfs\n"
            "from xlcredits.loginhistory import read_history\n"
            "try:\n    read_history(sys.argv[1])\n"
            "except Exception as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(csv)], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("InputError Login History=") and "pip install duckdb" in out
