"""`cdv serve` end to end: starts Voilà, says in French where the app is, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request

import psutil
import pytest

from cdv_lib import paths
from cdv_lib.serve import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cdv_serve_announces_the_url_and_stops(tmp_path, stop_signal):
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CDV_DATA_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdv_lib", "serve", "--port", str(port), "--data",
         str(paths.DATA_DIR)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if "Application disponible" in line or "Impossible" in line:
                break
        out = "".join(lines)
        assert f"Application disponible sur http://127.0.0.1:{port}/" in out, out
        assert f"données : {paths.DATA_DIR}" in out
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/voila/templates/lab/static/voila.js",
                                    timeout=30) as response:
            assert response.status == 200
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "voila runs as a child process"
        proc.send_signal(stop_signal)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, rest
    assert "Application arrêtée." in rest
    gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"still running: {alive}"
