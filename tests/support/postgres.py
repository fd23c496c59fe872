"""A PostgreSQL server from Debian's packages, in a temporary folder, for one test session."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder of the newest PostgreSQL server binaries (Debian keeps them in /usr/lib/postgresql/<version>/bin)."""
    def version(initdb: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in initdb.parent.parent.name.split(".") if n.isdigit())

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path and shutil.which("pg_ctl") else None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, reached only through a Unix socket in that folder (no TCP)."""

    def __init__(self, root: Path, bindir: Path):
        self.root, self.bindir = root, bindir
        self.data, self.log = root / "data", root / "server.log"
        self.as_owner: list[str] = []  # PostgreSQL refuses to run as root: then it runs as the postgres user
        self.databases = 0

    def run(self, tool: str, *args: str, owner: bool = False, **kwargs) -> subprocess.CompletedProcess:
        """A PostgreSQL program (pg_dump, psql …) of the same version, as its owner when ``owner``."""
        command = [*(self.as_owner if owner else []), str(self.bindir / tool), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True, **kwargs)

    def start(self) -> None:
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")  # the Debian package creates this user
            shutil.chown(self.root, owner.pw_uid, owner.pw_gid)
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale",
                 owner=True)
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "-o",
                 f"-k {self.root} -c listen_addresses= -c max_connections=300 -F", "start", owner=True)

    def stop(self) -> None:
        subprocess.run([*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}"

    def new_database(self) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        self.databases += 1
        name = f"qkit_test_{self.databases}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        return self.url(name)
