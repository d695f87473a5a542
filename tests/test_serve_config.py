"""The Voilà command line built by cdv_lib.serve, read back by Voilà's own parser, and the
file allowlist checked by Voilà's own handler code (no server started)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import tornado.web
from voila.app import Voila
from voila.configuration import VoilaConfiguration
from voila.static_file_handler import AllowListFileHandler

from cdv_lib import paths
from cdv_lib.serve import (APP_NOTEBOOK, DEFAULT_POOL_SIZE, FILE_ALLOWLIST, FILE_DENYLIST,
                           TEMPLATE, TEMPLATE_ROOT, ServeConfig, free_port, voila_argv,
                           voila_env)


def _parsed(config: ServeConfig) -> tuple[Voila, VoilaConfiguration]:
    argv = voila_argv(config)
    assert argv[1:3] == ["-m", "cdv_lib.app.voila_main"]
    app = Voila()
    app.parse_command_line(argv[3:])
    return app, VoilaConfiguration(config=app.config)


def test_default_command_serves_the_app_safely():
    app, conf = _parsed(ServeConfig())
    assert [Path(a) for a in app.extra_args] == [APP_NOTEBOOK]
    assert APP_NOTEBOOK.parent == paths.APPS_DIR
    assert app.ip == "127.0.0.1"
    assert app.port == 8866
    assert app.port_retries == 0
    assert Path(app.root_dir) == paths.APPS_DIR
    assert app.open_browser is False
    assert app.token == ""
    assert conf.strip_sources is True
    assert conf.show_tracebacks is False
    assert conf.preheat_kernel is True
    assert conf.default_pool_size == DEFAULT_POOL_SIZE == 2
    assert conf.template == TEMPLATE == "cdv"
    assert conf.allow_template_override == "NO"
    assert conf.allow_theme_override == "NO"
    assert conf.file_allowlist == list(FILE_ALLOWLIST)
    assert conf.file_denylist == list(FILE_DENYLIST)


def test_options_reach_voila():
    app, conf = _parsed(ServeConfig(host="0.0.0.0", port=9001, token="s3cret", pool_size=3))
    assert (app.ip, app.port, app.token) == ("0.0.0.0", 9001, "s3cret")
    assert conf.default_pool_size == 3
    assert ServeConfig(port=9001, token="a b").url() == "http://127.0.0.1:9001/?token=a%20b"


def test_idle_kernels_are_culled_but_not_open_pages():
    app, _ = _parsed(ServeConfig())
    culling = app.config.MappingKernelManager
    assert int(culling.cull_idle_timeout) == 600
    assert int(culling.cull_interval) == 60
    # a kernel with an open page, or busy, is never culled
    assert str(culling.cull_connected) == "False" and str(culling.cull_busy) == "False"
    app, _ = _parsed(ServeConfig(cull_idle_seconds=0))
    assert int(app.config.MappingKernelManager.cull_idle_timeout) == 0


def test_pool_size_and_template_reach_voila():
    _, conf = _parsed(ServeConfig(pool_size=5, template="lab"))
    assert (conf.default_pool_size, conf.template) == (5, "lab")
    _, conf = _parsed(ServeConfig(preheat=False))
    assert (conf.preheat_kernel, conf.default_pool_size) == (False, 0)


def test_the_pool_is_refilled_after_the_sessions_connected():
    app, _ = _parsed(ServeConfig())
    assert float(app.config.VoilaKernelManager.fill_delay) == 10.0
    app, _ = _parsed(ServeConfig(refill_delay_seconds=0))
    assert float(app.config.VoilaKernelManager.fill_delay) == 0.0


def test_the_cdv_template_is_found_by_voila(monkeypatch):
    from voila.paths import collect_template_paths

    env = voila_env(ServeConfig())
    assert env["JUPYTER_PATH"].split(":")[0] == str(TEMPLATE_ROOT)
    monkeypatch.setenv("JUPYTER_PATH", env["JUPYTER_PATH"])
    found = collect_template_paths(["voila", "nbconvert"], TEMPLATE, prune=True)
    assert found[0] == str(TEMPLATE_ROOT / "voila" / "templates" / "cdv")
    # built on Voilà's lab template: its folders come next
    assert any(p.endswith("voila/templates/lab") for p in found)
    assert voila_env(ServeConfig(), base={"JUPYTER_PATH": "/x"})["JUPYTER_PATH"] == (
        f"{TEMPLATE_ROOT}:/x")


def test_env_gives_kernels_an_absolute_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("CDV_DATA_DIR", raising=False)
    assert voila_env(ServeConfig())["CDV_DATA_DIR"] == str(paths.DATA_DIR)
    monkeypatch.chdir(tmp_path)
    env = voila_env(ServeConfig(data_dir=Path("autre")))
    assert env["CDV_DATA_DIR"] == str(tmp_path / "autre")
    assert Path(env["CDV_DATA_DIR"]).is_absolute()
    assert str(paths.PROJ_ROOT) in env["PYTHONPATH"].split(":")


class _Probe(AllowListFileHandler):
    """Voilà's /voila/files/ handler, without a request: only its allow/deny check runs."""

    def __init__(self):
        self.allowlist = list(FILE_ALLOWLIST)
        self.denylist = list(FILE_DENYLIST)


def _served(path: str, monkeypatch) -> bool:
    # past the check, the parent resolves the path on disk: stubbed, not under test here
    monkeypatch.setattr(tornado.web.StaticFileHandler, "get_absolute_path",
                        lambda self, root, p: p)
    try:
        _Probe().get_absolute_path("/racine", path)
    except tornado.web.HTTPError as exc:
        assert exc.status_code == 403
        return False
    return True


@pytest.mark.parametrize("path", [
    "logo.png", "img/carte_qpv.JPG", "a/b/c-d.jpeg", "x.gif", "icone.svg", "photo.webp",
    "carte.v2.png",
])
def test_allowlist_serves_images(path, monkeypatch):
    assert _served(path, monkeypatch)


@pytest.mark.parametrize("path", [
    "tableau_de_bord.ipynb", "app.py", "communes.csv", "config.yaml", "regles.yml",
    "programmation.xlsx", "pyproject.toml", "notes.txt", "page.html", "data.json",
    "../data/communes.csv", "../../data/logo.png", "img/../../secret.png", "..png",
    ".hidden.png", ".git/config", ".git/x.png", "img/.cache/a.png", "logo.png.csv",
    "logo.png/", "logo.png.py", "C:/x.png", "img\\..\\x.png", "/etc/passwd", "", "img/",
    "logo.png%00.csv",
])
def test_allowlist_refuses_everything_else(path, monkeypatch):
    assert not _served(path, monkeypatch)


def test_free_port_is_bindable():
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_cli_registers_serve_with_french_options():
    from cdv_lib.commands import serve as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--token", "t",
                              "--data", "/d", "--pool-size", "3", "--cull-idle", "120"])
    assert (args.host, args.port, args.token, args.data, args.pool_size, args.cull_idle) == (
        "0.0.0.0", 9000, "t", "/d", 3, 120)
    defaults = parser.parse_args(["serve"])
    assert (defaults.host, defaults.port, defaults.token) == ("127.0.0.1", 8866, None)
    assert (defaults.pool_size, defaults.cull_idle) == (2, 600)
    assert args.func is command.run


def test_cli_refuses_bad_arguments_in_french(capsys):
    from cdv_lib.cli import main

    assert main(["serve", "--port", "0"]) == 2
    assert "Port invalide" in capsys.readouterr().err
    assert main(["serve", "--data", "/nexiste/pas"]) == 2
    assert "Dossier de données introuvable" in capsys.readouterr().err
    assert main(["serve", "--cull-idle", "-1"]) == 2
    assert "Durée invalide" in capsys.readouterr().err
