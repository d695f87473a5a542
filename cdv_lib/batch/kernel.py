"""The Jupyter kernel a batch worker process keeps from one report to the next.

Starting a kernel and importing the report's libraries costs more than computing most
reports; a worker therefore starts one kernel and, before each report, resets it to the
state of a fresh kernel (:mod:`cdv_lib.batch.kernel_reset`), keeping only the imported
modules. A kernel that died, hung past a run's timeout or failed to reset is killed and a
new one is started for the next report; a kernel is also replaced after
:data:`MAX_RUNS` reports, so that nothing accumulates without bound.

Kernels talk over Unix sockets in a private folder: no TCP port to pick, so kernels of
several workers cannot collide. A kernel exits by itself when its worker process dies
(ipykernel watches its parent, ``JPY_PARENT_PID``).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import psutil

MAX_RUNS = 100
START_TIMEOUT = 60  # seconds for a kernel to answer after its start
RESET_TIMEOUT = 60  # seconds for the reset between two reports

_RESET_MODULE = "cdv_lib.batch.kernel_reset"


class KernelError(RuntimeError):
    """The kernel could not be started or reset."""


def kill_tree(pid: int | None) -> None:
    """SIGKILL process *pid* and all its descendants (absent processes are ignored)."""
    if not pid:
        return
    try:
        proc = psutil.Process(pid)
        procs = proc.children(recursive=True) + [proc]
    except psutil.Error:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


def _manager_class(conn_dir: str, clients: list):
    """Kernel manager over Unix sockets in *conn_dir*; the clients it creates (papermill's,
    one per report) are kept in *clients* so that their sockets can be closed after the
    report, the kernel staying up."""
    from jupyter_client.manager import AsyncKernelManager

    class ReportKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            kwargs.setdefault("transport", "ipc")
            kwargs.setdefault("connection_file", os.path.join(conn_dir, "kernel.json"))
            super().__init__(**kwargs)

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            clients.append(kc)
            return kc

    return ReportKernelManager


def _sync(coro_fn):
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)


class ReportKernel:
    """One started kernel of *kernel_name*, its working directory *cwd* at start."""

    def __init__(self, kernel_name: str | None, cwd: str) -> None:
        from jupyter_client.blocking import BlockingKernelClient

        self.kernel_name = kernel_name
        self.runs = 0
        self._clients: list = []
        self._conn_dir = tempfile.mkdtemp(prefix="cdvk-")
        kwargs = {"kernel_name": kernel_name} if kernel_name else {}
        self.km = _manager_class(self._conn_dir, self._clients)(**kwargs)
        self._control = None
        try:
            _sync(self.km.start_kernel)(cwd=cwd)
            self._clients.clear()
            # A blocking client, independent of the asyncio loop that papermill drives (its
            # asyncio sockets would stop being read once papermill swaps loops); without
            # heartbeat: liveness is asked of the kernel manager (the process) instead.
            control = BlockingKernelClient()
            control.load_connection_info(self.km.get_connection_info())
            control.start_channels(hb=False)
            self._control = control
            control.wait_for_ready(timeout=START_TIMEOUT)
            self._run(f"__import__({_RESET_MODULE!r}, fromlist=['snapshot']).snapshot()")
        except Exception as exc:
            self.kill()
            if isinstance(exc, KernelError):
                raise
            raise KernelError(f"Démarrage du noyau impossible : {type(exc).__name__}: {exc}") from exc

    @property
    def pid(self) -> int | None:
        provisioner = getattr(self.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if pid is None:
            pid = getattr(getattr(provisioner, "process", None), "pid", None)
        return pid

    def alive(self) -> bool:
        try:
            return bool(self.km.has_kernel and _sync(self.km.is_alive)())
        except Exception:
            return False

    def _run(self, code: str) -> None:
        reply = self._control.execute_interactive(
            code, silent=False, store_history=False, timeout=RESET_TIMEOUT,
            output_hook=lambda _msg: None)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise KernelError(f"{content.get('ename', 'Erreur')}: {content.get('evalue', '')}")

    def reset(self, cwd: str, data_dir: str | None = None) -> None:
        """Make the kernel as fresh for the next report, working in *cwd*, recording what
        it reads from *data_dir* (:mod:`cdv_lib.batch.reads`)."""
        try:
            self._run(f"__import__({_RESET_MODULE!r}, fromlist=['reset'])"
                      f".reset({cwd!r}, {data_dir!r})")
        except KernelError:
            raise
        except Exception as exc:  # timeout, closed channel
            raise KernelError(f"Remise à zéro du noyau impossible : {type(exc).__name__}") from exc

    def evaluate(self, expression: str, timeout: float = RESET_TIMEOUT) -> str:
        """The ``repr`` of *expression* evaluated in the kernel (a user expression, outside
        the report's history). Raises :class:`KernelError`."""
        try:
            reply = self._control.execute_interactive(
                "", silent=True, store_history=False, timeout=timeout,
                user_expressions={"value": expression}, output_hook=lambda _msg: None)
        except Exception as exc:
            raise KernelError(f"Question au noyau impossible : {type(exc).__name__}") from exc
        value = (reply.get("content", {}).get("user_expressions") or {}).get("value") or {}
        if value.get("status") != "ok":
            raise KernelError(f"{value.get('ename', 'Erreur')}: {value.get('evalue', '')}")
        return value["data"]["text/plain"]

    def release_clients(self) -> None:
        """Close the sockets of the clients opened for the last report."""
        for kc in self._clients:
            try:
                kc.stop_channels()
            except Exception:
                pass
        self._clients.clear()

    def kill(self) -> None:
        """Stop the kernel at once (its outputs are all in) and free its sockets."""
        self.release_clients()
        if self._control is not None:
            try:
                self._control.stop_channels()
            except Exception:
                pass
            self._control = None
        kill_tree(self.pid)
        try:
            _sync(self.km.cleanup_resources)(restart=False)
        except Exception:
            pass
        shutil.rmtree(self._conn_dir, ignore_errors=True)


_current: ReportKernel | None = None


def acquire(kernel_name: str | None, cwd: str, data_dir: str | None = None) -> ReportKernel:
    """This process's kernel, reset, working in *cwd* and recording the reads of the next
    report from *data_dir*; started (again) when missing, dead, of another kernel name, or
    used :data:`MAX_RUNS` times. Raises :class:`KernelError`."""
    global _current
    kernel = _current
    if kernel is not None and (kernel.kernel_name != kernel_name or kernel.runs >= MAX_RUNS
                               or not kernel.alive()):
        discard()
        kernel = None
    if kernel is None:
        kernel = _current = ReportKernel(kernel_name, cwd)
    try:
        kernel.reset(cwd, data_dir)
    except KernelError:
        discard()
        raise
    kernel.runs += 1
    return kernel


def kill_current() -> None:
    """SIGKILL this process's kernel, whatever it is doing (resetting, running a report);
    safe from a watchdog thread. The next :func:`acquire` finds it dead and replaces it."""
    k = _current
    if k is not None:
        kill_tree(k.pid)


def discard() -> None:
    """Kill this process's kernel, if any; the next :func:`acquire` starts a new one."""
    global _current
    kernel, _current = _current, None
    if kernel is not None:
        kernel.kill()


atexit.register(discard)
