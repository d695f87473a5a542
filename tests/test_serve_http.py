"""The real Voilà server, as `cdv serve` starts it, refuses every file but images.

Two servers: the real app configuration (app folder notebooks/apps/, real project files
around it), and a temporary app folder holding decoys next to an image and a notebook that
prints the data directory its kernel sees.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import nbformat
import psutil
import pytest

from browser import raw_get, running_voila
from cdv_lib import paths
from cdv_lib.serve import ServeConfig

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

ROOT = paths.PROJ_ROOT
REFUSED = (403, 404, 405)

# a valid 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>'


@pytest.fixture(scope="module")
def app_server():
    with running_voila(ServeConfig()) as server:
        yield server.url, server.process


# -- the real configuration: project files around the app folder --------------------------

def _project_files() -> list[Path]:
    """Real files that must never be downloadable, that exist in this checkout."""
    wanted = [
        "data/communes.csv", "data/programmation.csv", "data/config.yaml", "data/qpv.csv",
        "data/ami_regles.yaml", "data/questionnaires/associations.yaml",
        "data/questionnaires/associations_reponses.csv",
        "data/questionnaires/communes_reponses.csv", "pyproject.toml", "cdv_lib/serve.py",
        "cdv_lib/paths.py", "notebooks/apps/tableau_de_bord.ipynb", ".git/config",
        ".git/HEAD",
    ]
    found = [ROOT / w for w in wanted if (ROOT / w).is_file()]
    found += sorted(paths.REPORTS_DIR.glob("*.ipynb"))[:2]
    return found


def _urls_for(rel: str) -> list[str]:
    """Every way to ask for project file *rel* (relative to the project root)."""
    up = "../../" + rel  # from notebooks/apps/
    enc = "%2e%2e/%2e%2e/" + rel
    enc_slash = "..%2f..%2f" + rel.replace("/", "%2f")
    urls = [
        "/" + rel,
        "/voila/files/" + rel,
        "/voila/files/" + up,
        "/voila/files/" + enc,
        "/voila/files/" + enc_slash,
        "/voila/files/%2E%2E%2F%2E%2E%2F" + rel.replace("/", "%2F"),
        "/voila/files/img/../../../" + rel,
        "/files/" + rel,
        "/voila/render/" + rel,
        "/voila/tree/" + rel,
        "/api/contents/" + rel,
        "/voila/api/contents/" + rel,
        "/view/" + rel,
        "/edit/" + rel,
        "/notebooks/" + rel,
    ]
    if rel.startswith("notebooks/apps/"):
        name = rel.rsplit("/", 1)[1]
        urls += ["/voila/files/" + name, "/voila/render/" + name, "/" + name + "?download=1"]
    return urls


def _distinctive(path: Path) -> list[bytes]:
    """Lines of *path* long enough not to appear in an unrelated page by chance."""
    lines = [ln.strip() for ln in path.read_bytes().splitlines()]
    lines = [ln for ln in lines if len(ln) >= 12 and ln not in (b"{", b"}")]
    return lines[:5] or [path.read_bytes()[:200]]


# Voilà 0.5.13's template asset handler asserts on the shape of its path: a malformed one
# (traversal included) ends in tornado's bare 500 page, which reveals nothing.
BARE_500 = b"<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>"


def _assert_refused(base: str, url: str, secrets: list[bytes]) -> None:
    status, body, visited = raw_get(base, url)
    if status == 500 and visited[-1].startswith("/voila/templates/"):
        assert body == BARE_500, f"{url} -> 500 with {body[:200]!r}"
    else:
        assert status in REFUSED, f"{url} -> {status} via {visited}"
    for secret in secrets:
        assert secret not in body, f"{url} leaked {secret[:40]!r}"


def test_project_files_are_not_downloadable(app_server):
    base, _ = app_server
    files = _project_files()
    assert any(p.suffix == ".csv" for p in files), "no data file to test against"
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        secrets = _distinctive(path)
        for url in _urls_for(rel):
            _assert_refused(base, url, secrets)


@pytest.mark.parametrize("url", [
    "/tree", "/tree/", "/voila/tree", "/voila/tree/", "/api/contents", "/api/contents/",
    "/voila/api/contents", "/api/kernels", "/api/sessions", "/api/kernelspecs",
    "/api/config/notebook", "/lab", "/terminals/1", "/voila/files/", "/voila/files/img/",
    "/voila/render/", "/voila/files/.", "/voila/files/..", "/voila/files/%2e%2e",
])
def test_no_browsing_nor_server_apis(app_server, url):
    base, _ = app_server
    status, body, visited = raw_get(base, url)
    assert status in REFUSED, f"{url} -> {status} via {visited}"
    assert b"tableau_de_bord.ipynb" not in body
    assert b'"type": "directory"' not in body


@pytest.mark.parametrize("url", [
    "/voila/static/../../../../../../../../etc/passwd",
    "/voila/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/voila/templates/lab/static/../../../../../../../../../etc/passwd",
    "/voila/templates/lab/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/labextensions/../../../../../../../../etc/passwd",
    "/voila/labextensions/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/api/themes/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/files/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/voila/files//etc/passwd",
    "/voila/files/%2fetc%2fpasswd",
    "/..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
])
def test_static_handlers_do_not_traverse(app_server, url):
    base, _ = app_server
    secrets = [b"root:x:0:0", b"root:"]
    secrets += _distinctive(ROOT / "pyproject.toml")
    _assert_refused(base, url, secrets)


def test_static_traversal_to_project_files(app_server):
    base, _ = app_server
    for rel in ("pyproject.toml", "data/communes.csv", "cdv_lib/serve.py"):
        secrets = _distinctive(ROOT / rel)
        # voila's static folder sits in site-packages; walk up far enough and back down
        target = "../" * 12 + str(ROOT).lstrip("/") + "/" + rel
        for prefix in ("/voila/static/", "/voila/templates/lab/static/",
                       "/voila/labextensions/"):
            _assert_refused(base, prefix + target, secrets)
            _assert_refused(base, prefix + target.replace("/", "%2f"), secrets)


def test_app_page_is_served(app_server):
    base, _ = app_server
    with urllib.request.urlopen(base, timeout=120) as response:
        assert response.status == 200
        html = response.read().decode("utf-8")
    assert "from cdv_lib" not in html  # sources stripped
    assert "Traceback" not in html


def test_server_listens_on_loopback_only(app_server):
    base, process = app_server
    port = int(base.rsplit(":", 1)[1].strip("/"))
    listening = [c for c in psutil.Process(process.pid).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
    assert listening, "the server does not listen on its port"
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}


# -- a temporary app folder with decoys next to real images ---------------------------------

PROBE_CELL = """\
import json, os
from cdv_lib.paths import data_dir
print("CDV-PROBE " + json.dumps({"data_dir": str(data_dir()), "cwd": os.getcwd()}))
"""


@pytest.fixture(scope="module")
def decoy_server(tmp_path_factory):
    app = tmp_path_factory.mktemp("app")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE_CELL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, app / "app.ipynb")
    (app / "logo.png").write_bytes(PNG)
    (app / "img").mkdir()
    (app / "img" / "carte.svg").write_bytes(SVG)
    decoys = {
        "autre.ipynb": b'{"cells": [], "SECRET-NOTEBOOK-0001": 1}',
        "communes.csv": b"code_insee;nom\n99999;SECRET-CSV-0002\n",
        "module.py": b"SECRET_PY = 'SECRET-PY-0003'\n",
        "config.yaml": b"secret: SECRET-YAML-0004\n",
        "classeur.xlsx": b"PK\x03\x04SECRET-XLSX-0005",
        "notes.txt": b"SECRET-TXT-0006",
        ".env": b"TOKEN=SECRET-ENV-0007",
        ".cache/vignette.png": b"SECRET-HIDDEN-0008",
        "img/donnees.json": b'{"s": "SECRET-JSON-0009"}',
        "logo.png.csv": b"SECRET-DOUBLE-0010",
        "jupyter_server_config.json": b'{"SECRET-JUPYTER-0011": 1}',
        "voila.json": b'{"VoilaConfiguration": {"file_allowlist": [".*"]}, "x": "SECRET-VOILA-0012"}',
    }
    for name, content in decoys.items():
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_bytes(content)
    data = tmp_path_factory.mktemp("donnees")
    config = ServeConfig(notebook=app / "app.ipynb", data_dir=data)
    with running_voila(config) as server:
        yield server.url, app, data, decoys


def test_decoys_next_to_the_app_are_refused(decoy_server):
    base, _app, _data, decoys = decoy_server
    for name, content in decoys.items():
        secret = content[content.index(b"SECRET"):][:18]
        for url in ("/voila/files/" + name, "/" + name, "/voila/render/" + name,
                    "/voila/files/img/../" + name, "/voila/files/%2e/" + name):
            _assert_refused(base, url, [secret])


def test_voila_json_in_the_app_folder_does_not_widen_the_allowlist(decoy_server):
    # the server runs in the app folder, where Voilà looks for voila.json: the command line
    # must win over it
    base, *_ = decoy_server
    _assert_refused(base, "/voila/files/notes.txt", [b"SECRET-TXT-0006"])


def test_images_are_served(decoy_server):
    base, *_ = decoy_server
    status, body, _ = raw_get(base, "/voila/files/logo.png")
    assert (status, body) == (200, PNG)
    status, body, _ = raw_get(base, "/voila/files/img/carte.svg")
    assert (status, body) == (200, SVG)
    status, body, _ = raw_get(base, "/voila/files/manquant.png")
    assert status == 404


def test_kernel_gets_the_data_dir_from_the_server(decoy_server):
    base, app, data, _ = decoy_server
    with urllib.request.urlopen(base, timeout=120) as response:
        assert response.status == 200
        html = response.read().decode("utf-8")
    assert "from cdv_lib.paths" not in html  # sources stripped
    line = html[html.index("CDV-PROBE ") + len("CDV-PROBE "):]
    seen = json.loads(line[: line.index("}") + 1].replace("&#34;", '"').replace("&quot;", '"'))
    assert Path(seen["data_dir"]) == data.resolve()
    assert Path(seen["cwd"]) == app.resolve()


def test_token_is_required_when_given(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('CDV-JETON-OK')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, tmp_path / "app.ipynb")
    config = ServeConfig(notebook=tmp_path / "app.ipynb", token="jeton-secret")
    with running_voila(config) as server:
        base = server.url.split("?", 1)[0]
        status, body, _ = raw_get(base, "/")
        assert b"CDV-JETON-OK" not in body
        status, body, _ = raw_get(base, "/?token=jeton-secret")
        assert status == 200 and b"CDV-JETON-OK" in body
        status, body, _ = raw_get(base, "/?token=mauvais")
        assert b"CDV-JETON-OK" not in body
