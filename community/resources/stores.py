"""Where uploaded files are kept: the local folder or the database, behind one small interface.

- `LocalStore`: a folder of this machine, `instance/uploads/` (UPLOAD_DIR), outside `static/`.
  A file written during a transaction that rolls back is deleted, so a failed upload leaves
  nothing on disk. Several machines would need that folder shared.
- `DatabaseStore`: chunks of CHUNK_SIZE bytes in the `file_chunks` table, written in the
  upload's own transaction (a rollback removes them) and read back one chunk at a time, so every
  node, and every worker, reads the same files with no shared disk, and `pg_dump` backs them up.

`store()` gives the one FILE_STORE chooses; `flask --app community files migrate --to
database|local` moves files from one store to the other.
"""
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from ..extensions import db

CHUNK_SIZE = 1024 * 256
STORES = ("auto", "local", "database")


def upload_dir(app=None):
    app = app or current_app
    path = Path(app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(stored_name):
    """The file on disk for a stored name (which is always a generated token, never user input)."""
    if not stored_name or "/" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored file name")
    return upload_dir() / stored_name


def _remove_on_rollback(path):
    db.session.info.setdefault("new_upload_files", []).append(str(path))


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session):
    session.info.pop("new_upload_files", None)


@event.listens_for(Session, "after_soft_rollback")
def _delete_rolled_back_files(session, previous_transaction):
    if previous_transaction.parent is None:
        for name in session.info.pop("new_upload_files", []):
            Path(name).unlink(missing_ok=True)


def discard_new_files():
    """Delete files stored in this request that no committed row refers to (the form failed)."""
    for name in db.session.info.pop("new_upload_files", []):
        Path(name).unlink(missing_ok=True)


def store_name(app=None):
    """"local" or "database": FILE_STORE, where auto means the database on PostgreSQL."""
    app = app or current_app
    chosen = (app.config.get("FILE_STORE") or "auto").strip().lower()
    if chosen not in STORES:
        raise ValueError(f"FILE_STORE must be one of {', '.join(STORES)}, not {chosen!r}")
    if chosen == "auto":
        return "database" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "local"
    return chosen


def store(name=None):
    """The file store of this app (or the one named)."""
    return DatabaseStore() if (name or store_name()) == "database" else LocalStore()


def _check_name(stored_name):
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("not a stored file name")
    return stored_name


class LocalStore:
    """Files in UPLOAD_DIR on this machine."""

    name = "local"

    def partial_path(self, token):
        return upload_dir() / f".{token}.part"

    def keep(self, stored_name, partial):
        """Keep a checked temporary file under its stored name (removed if the transaction rolls back)."""
        final = path_of(stored_name)
        if partial.parent == final.parent:
            partial.rename(final)
        else:
            shutil.copyfile(partial, final)
        _remove_on_rollback(final)

    def exists(self, stored_name):
        return path_of(stored_name).is_file()

    holds = exists

    def size(self, stored_name):
        return path_of(stored_name).stat().st_size

    def open(self, stored_name):
        """A binary file object; FileNotFoundError when missing."""
        return open(path_of(stored_name), "rb")

    @contextmanager
    def local_copy(self, stored_name):
        """A path on this machine holding the file, for readers that need one."""
        yield path_of(stored_name)

    def remove(self, stored_name):
        path_of(stored_name).unlink(missing_ok=True)


class DatabaseStore:
    """Files as CHUNK_SIZE rows of `file_chunks`, in the upload's transaction.

    A file not found there is looked for in the local folder, so a deployment that switches to
    the database keeps serving its files until `files migrate --to database` has moved them.
    """

    name = "database"

    def __init__(self):
        self.fallback = LocalStore()

    def partial_path(self, token):
        handle, name = tempfile.mkstemp(prefix="upload-", suffix=".part")
        os.close(handle)
        return Path(name)

    def keep(self, stored_name, partial):
        from .models import FileChunk

        _check_name(stored_name)
        with open(partial, "rb") as source:
            for seq, chunk in enumerate(iter(lambda: source.read(CHUNK_SIZE), b"")):
                db.session.execute(insert(FileChunk).values(stored_name=stored_name, seq=seq, data=chunk))

    def _sizes(self, stored_name):
        from .models import FileChunk

        return db.session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(FileChunk.data)), 0))
            .where(FileChunk.stored_name == _check_name(stored_name))).one()

    def holds(self, stored_name):
        """Whether the database itself has the file (not counting the local fallback)."""
        return self._sizes(stored_name)[0] > 0

    def exists(self, stored_name):
        return self.holds(stored_name) or self.fallback.exists(stored_name)

    def size(self, stored_name):
        chunks, size = self._sizes(stored_name)
        return size if chunks else self.fallback.size(stored_name)

    def open(self, stored_name):
        chunks, size = self._sizes(stored_name)
        if not chunks:
            return self.fallback.open(stored_name)
        return ChunkReader(db.engine, stored_name, chunks, size)

    @contextmanager
    def local_copy(self, stored_name):
        if not self._sizes(stored_name)[0]:
            with self.fallback.local_copy(stored_name) as path:
                yield path
            return
        suffix = Path(stored_name).suffix
        with tempfile.NamedTemporaryFile(prefix="stored-", suffix=suffix) as copy:
            with self.open(stored_name) as reader:
                shutil.copyfileobj(reader, copy, CHUNK_SIZE)
            copy.flush()
            yield Path(copy.name)

    def remove(self, stored_name):
        from .models import FileChunk

        db.session.execute(delete(FileChunk).where(FileChunk.stored_name == _check_name(stored_name)))


class ChunkReader(io.RawIOBase):
    """A seekable read-only file over a stored file's chunks, fetching one chunk at a time.

    Each fetch takes a connection from the pool and gives it back, so a slow download holds
    no connection and no more than one chunk in memory.
    """

    def __init__(self, engine, stored_name, chunks, size):
        super().__init__()
        self.engine, self.stored_name, self.chunks, self.length = engine, stored_name, chunks, size
        self.position, self.cached = 0, (None, b"")

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def _chunk(self, seq):
        from .models import FileChunk

        if self.cached[0] != seq:
            with self.engine.connect() as connection:
                data = connection.scalar(select(FileChunk.data).where(
                    FileChunk.stored_name == self.stored_name, FileChunk.seq == seq))
            self.cached = (seq, bytes(data or b""))
        return self.cached[1]

    def readinto(self, buffer):
        if self.position >= self.length:
            return 0
        seq, start = divmod(self.position, CHUNK_SIZE)
        piece = self._chunk(seq)[start:start + len(buffer)]
        buffer[:len(piece)] = piece
        self.position += len(piece)
        return len(piece)


def migrate(target, keep=False, report=lambda line: None):
    """Move every version's file into the `target` store ("database" or "local").

    Idempotent and safe to stop: each file is copied, checked against its SHA-256 and committed
    before it is removed from the other store (kept there with `keep`). Returns counts.
    """
    from .models import ResourceVersion

    if target not in ("database", "local"):
        raise ValueError("the target store is database or local")
    source, destination = store("local" if target == "database" else "database"), store(target)
    counts = {"moved": 0, "already there": 0, "missing": 0, "damaged": 0}
    rows = db.session.execute(select(ResourceVersion.stored_name, ResourceVersion.sha256)
                              .order_by(ResourceVersion.id)).all()
    for stored_name, sha256 in rows:
        if destination.holds(stored_name):
            counts["already there"] += 1
        elif not source.holds(stored_name):
            counts["missing"] += 1
            report(f"missing in both stores: {stored_name}")
        else:
            with source.local_copy(stored_name) as path:
                if _sha256(path) != sha256:
                    counts["damaged"] += 1
                    report(f"not moved, its bytes do not match the recorded SHA-256: {stored_name}")
                    continue
                if target == "database":
                    destination.keep(stored_name, path)
                else:
                    partial = upload_dir() / f".{stored_name}.part"
                    shutil.copyfile(path, partial)
                    partial.rename(path_of(stored_name))
            db.session.commit()
            counts["moved"] += 1
        if not keep and source.holds(stored_name) and destination.holds(stored_name):
            source.remove(stored_name)
            db.session.commit()
    return counts


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def init_cli(app):
    import click

    @app.cli.group("files")
    def files_cli():
        """Uploaded files and where they are kept (FILE_STORE)."""

    @files_cli.command("migrate")
    @click.option("--to", "target", type=click.Choice(["database", "local"]), required=True,
                  help="The store to move every file into.")
    @click.option("--keep", is_flag=True, help="Leave a copy in the store the files come from.")
    def migrate_command(target, keep):
        """Move uploaded files into the database or into UPLOAD_DIR (then set FILE_STORE)."""
        counts = migrate(target, keep=keep, report=click.echo)
        click.echo(", ".join(f"{count} {what}" for what, count in counts.items()) + f" (now in: {target}).")
        if store_name(app) != target:
            click.echo(f"Set FILE_STORE={target} on every node so new uploads go there too.")
