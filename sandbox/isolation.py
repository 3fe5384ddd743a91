"""Which isolation is available, and the command line that starts one sandboxed worker.

With bubblewrap, every worker gets fresh pid, network, IPC and UTS namespaces, a read-only view of only
the system directories and the Python installation (not /work, /home or /root, so no dataset or hidden
test on disk is visible), a private size-limited /tmp, and a clean environment.

Process counting (RLIMIT_NPROC) is what contains a fork bomb, and the kernel exempts uid 0 from it. So:
* as root, bubblewrap runs as root (the interpreter may live under /root, which only root can reach), and
  the worker drops to its own uid before any candidate code runs: one uid per concurrent worker slot,
  from ranges each `Sandbox` claims for its lifetime (`sandbox.uids`), keeps the counts apart;
* as another user, bubblewrap creates a user namespace and the limit counts that namespace only.

Without bubblewrap the worker is a plain subprocess: clean environment, own session, rlimits, a temporary
working directory. It can read whatever its uid can read and shares the network; `describe_isolation`
says so, and the `Sandbox` logs one warning.
"""

from __future__ import annotations

import os
import resource
import shutil
import site
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.limits import Limits
from sandbox.uids import FIRST_SANDBOX_UID, RANGE_COUNT, UIDS_PER_RANGE

SANDBOX_WORKDIR = "/tmp/sandbox"
# Where a caller's project appears, read-only, so that code under test can import its modules.
SANDBOX_PROJECT = "/project"
INSTALL_HINT = "install bubblewrap (`apt-get install bubblewrap`) for full isolation"
SYSTEM_DIRECTORIES = ("/usr", "/etc")
# On merged-/usr systems these are symlinks into /usr; elsewhere real directories.
SYSTEM_TOP_LEVEL_ALIASES = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SANDBOX_PATH = "/usr/bin:/bin"
# The worker raises its stack limit through the shell, because the main thread's stack layout is fixed
# when the interpreter starts.
STACK_LAUNCHER = 'ulimit -s "$0" && exec "$@"'


@dataclass(frozen=True)
class IsolationReport:
    """What `Sandbox` will use to run candidate code, as `atlas-lsp --doctor` prints it."""

    mechanism: str  # "bubblewrap" or "subprocess"
    runs_as_root: bool
    bwrap_path: str | None = None
    bwrap_version: str | None = None
    # Options newer than bubblewrap 0.4 that this installation understands ("--size", "--disable-userns").
    bwrap_options: frozenset[str] = field(default_factory=frozenset)
    # What is missing for full isolation and how to fix it; None when bubblewrap works.
    problem: str | None = None

    @property
    def fully_isolated(self) -> bool:
        return self.mechanism == "bubblewrap"

    def describe(self) -> str:
        if self.fully_isolated:
            who = (
                "each worker drops from root to a uid of its own, from the uid ranges its sandbox claims in "
                f"{FIRST_SANDBOX_UID}-{FIRST_SANDBOX_UID + RANGE_COUNT * UIDS_PER_RANGE - 1}"
                if self.runs_as_root
                else "unprivileged user namespace"
            )
            return (
                f"bubblewrap {self.bwrap_version or '(unknown version)'} at {self.bwrap_path}: private pid, "
                f"network and IPC namespaces, read-only system and Python directories only, private /tmp, "
                f"rlimits; {who}"
            )
        return (
            "plain subprocess (clean environment, own session, rlimits, temporary directory); candidate code "
            f"can read the caller's files and use the network. {self.problem}"
        )


def describe_isolation(bwrap_path: str | None = None) -> IsolationReport:
    """Probe this machine: is bubblewrap there, and can it create namespaces? `bwrap_path` overrides the
    PATH lookup."""
    runs_as_root = os.geteuid() == 0
    found = bwrap_path or shutil.which("bwrap")
    if found is None:
        return IsolationReport(
            "subprocess", runs_as_root, problem=f"bubblewrap (bwrap) was not found on PATH: {INSTALL_HINT}."
        )
    try:
        version = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=10).stdout.split()
        help_text = subprocess.run([found, "--help"], capture_output=True, text=True, timeout=10).stdout
        options = frozenset(option for option in ("--size", "--disable-userns") if option in help_text)
        probe = subprocess.run(
            [found, *_namespace_options(runs_as_root, options), "--ro-bind", "/", "/", "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return IsolationReport(
            "subprocess", runs_as_root, found, problem=f"{found} cannot be run ({error}): {INSTALL_HINT}."
        )
    if probe.returncode != 0:
        reason = probe.stderr.strip() or f"exit status {probe.returncode}"
        return IsolationReport(
            "subprocess",
            runs_as_root,
            found,
            problem=(
                f"{found} is installed but cannot create namespaces ({reason}); allow unprivileged user "
                "namespaces (sysctl kernel.unprivileged_userns_clone=1, or the AppArmor userns setting), "
                "or run with the capabilities bubblewrap needs."
            ),
        )
    return IsolationReport("bubblewrap", runs_as_root, found, version[-1] if version else None, options)


def _namespace_options(runs_as_root: bool, options: frozenset[str]) -> list[str]:
    if runs_as_root:
        # No user namespace: in one, the drop to an unmapped uid would fail, and real root is exempt from
        # the process limit, which is the point of dropping.
        return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    nested_userns = ["--unshare-user", "--disable-userns"] if "--disable-userns" in options else []
    return ["--unshare-all", *nested_userns]


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one worker and to tell it where it lives."""

    command: tuple[str, ...]
    env: Mapping[str, str]
    cwd: str | None
    # Sent to the worker in its header.
    workdir: str
    # site-packages directories the worker adds itself, since -S skips `site`.
    import_paths: tuple[str, ...]
    drop_to_uid: int | None
    # The worker may SIGKILL every other process of its uid after each test (private pid namespace or a
    # uid of its own).
    reap_all: bool
    uid_shared_with_host: bool


def build_launch(
    report: IsolationReport,
    limits: Limits,
    *,
    worker_source: str,
    uid: int,
    tmp_bytes: int,
    host_workdir: str | None,
    info_fd: int | None,
    project_root: str | None = None,
) -> Launch:
    """The command for one worker. Bubblewrap needs `info_fd` (it reports the sandbox's pid there);
    the plain subprocess needs `host_workdir`, a directory the caller created and removes.

    `project_root` becomes importable: bubblewrap mounts it read-only at /project; the plain
    subprocess can only put it on the path (and cannot stop writes to it)."""
    python = [sys.executable, "-I", "-S", "-B", "-c", worker_source]
    drop_to_uid = uid if report.runs_as_root else None
    if report.fully_isolated:
        project_mount = ["--ro-bind", project_root, SANDBOX_PROJECT] if project_root else []
        project_path = (SANDBOX_PROJECT,) if project_root else ()
        if info_fd is None or report.bwrap_path is None:
            raise ValueError("bubblewrap launches need an info_fd and the report's bwrap_path")
        command = [
            report.bwrap_path,
            *_namespace_options(report.runs_as_root, report.bwrap_options),
            "--die-with-parent",
            "--new-session",
            *_filesystem_options(report, tmp_bytes),
            *project_mount,
            "--chdir",
            SANDBOX_WORKDIR,
            "--clearenv",
            *_setenv_options(_sandbox_env(SANDBOX_WORKDIR)),
            "--info-fd",
            str(info_fd),
            *_stack_launcher(limits),
            *python,
        ]
        import_paths = (*project_path, *_site_packages())
        return Launch(tuple(command), {}, None, SANDBOX_WORKDIR, import_paths, drop_to_uid, True, False)
    if host_workdir is None:
        raise ValueError("subprocess launches need a host_workdir")
    command = [*_stack_launcher(limits), *python]
    return Launch(
        tuple(command),
        _sandbox_env(host_workdir),
        host_workdir,
        host_workdir,
        (*((project_root,) if project_root else ()), *_site_packages()),
        drop_to_uid,
        reap_all=report.runs_as_root,
        uid_shared_with_host=not report.runs_as_root,
    )


def _site_packages() -> tuple[str, ...]:
    return tuple(directory for directory in site.getsitepackages() if os.path.isdir(directory))


def _sandbox_env(home: str) -> dict[str, str]:
    return {"PATH": SANDBOX_PATH, "HOME": home, "LANG": "C.UTF-8"}


def _setenv_options(env: Mapping[str, str]) -> list[str]:
    return [part for name, value in env.items() for part in ("--setenv", name, value)]


def _stack_launcher(limits: Limits) -> list[str]:
    stack_kib = -(-limits.stack_bytes // 1024)
    if os.geteuid() != 0:
        hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
        if hard != resource.RLIM_INFINITY:
            stack_kib = min(stack_kib, hard // 1024)
    return ["/bin/sh", "-c", STACK_LAUNCHER, str(stack_kib)]


def _filesystem_options(report: IsolationReport, tmp_bytes: int) -> list[str]:
    options: list[str] = []
    for directory in SYSTEM_DIRECTORIES:
        options += ["--ro-bind", directory, directory]
    for alias in SYSTEM_TOP_LEVEL_ALIASES:
        if os.path.islink(alias):
            options += ["--symlink", os.readlink(alias), alias]
        elif os.path.isdir(alias):
            options += ["--ro-bind", alias, alias]
    options += ["--dev", "/dev", "--proc", "/proc"]
    if "--size" in report.bwrap_options:
        options += ["--size", str(tmp_bytes)]
    # Sticky and world-writable like a real /tmp, for programs that use tempfile after dropping to their uid.
    options += ["--perms", "1777", "--tmpfs", "/tmp", "--dir", SANDBOX_WORKDIR]
    # After /tmp, so that an environment living under /tmp is mounted on top of the fresh tmpfs.
    python_directories = _python_directories()
    # bubblewrap creates missing parents with the host directory's mode, and /root is 0700: make them
    # traversable so the dropped uid can reach the interpreter (their other contents stay invisible).
    for parent in _parents_to_create(python_directories):
        options += ["--perms", "0755", "--dir", parent]
    for directory in python_directories:
        options += ["--ro-bind", directory, directory]
    return options


def _python_directories() -> list[str]:
    """The interpreter's installation and the active environment (site-packages: numpy and friends)."""
    candidates = {
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.base_exec_prefix),
        Path(os.path.realpath(sys.executable)).parent.parent,
    }
    visible = [Path(directory) for directory in (*SYSTEM_DIRECTORIES, *SYSTEM_TOP_LEVEL_ALIASES)]
    kept: list[str] = []
    for candidate in sorted(candidates, key=lambda path: len(path.parts)):
        if candidate == Path("/") or any(candidate.is_relative_to(Path(done)) for done in kept):
            continue
        if any(candidate.is_relative_to(directory) for directory in visible):
            continue
        kept.append(str(candidate))
    return kept


def _parents_to_create(directories: list[str]) -> list[str]:
    parents: list[str] = []
    for directory in directories:
        for parent in reversed(Path(directory).parents):
            if parent not in (Path("/"), Path("/tmp")) and str(parent) not in parents:
                parents.append(str(parent))
    return parents
