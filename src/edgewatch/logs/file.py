"""Follow a local JSON-lines file like ``tail -F``: appends, truncation and rotation.

The file is polled (``stat``, not inotify) so that it works the same on every platform and on
network filesystems. Between polls it notices:
- appends: read from the last offset; a line is delivered once its newline arrives;
- truncation (``copytruncate``, ``> file``): the size dropped below the offset, read from 0;
- rotation (``mv file file.1`` then a new ``file``): the path names another inode; the old file
  is read to its end first, then the new one from its start;
- a missing file: wait for it to appear (follow mode) or fail (one-shot).
A truncation followed by more writes than were there before, between two polls, looks like an
append, as it does to ``tail -F``.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from edgewatch.logs.formats import NO_MAPPING, FieldMap
from edgewatch.logs.models import (
    Emit,
    LogBatch,
    LogLine,
    LogSourceError,
    NoticeKind,
    Sleep,
    SourceNotice,
    field_timestamp_ms,
    make_line,
    parse_message,
)
from edgewatch.logs.search import LogQuery

CHUNK_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024


class _Open:
    """An open file: descriptor, identity, read offset and the unfinished last line."""

    def __init__(self, fd: int, generation: int) -> None:
        st = os.fstat(fd)
        self.fd = fd
        self.identity = (st.st_dev, st.st_ino)
        self.generation = generation
        self.offset = 0
        self.partial = b""
        self.partial_offset = 0

    def close(self) -> None:
        os.close(self.fd)


class FileSource:
    """Lines of ``path`` (from its start, or its end with ``from_end``), once or followed.

    Lines with a timestamp field older than ``start_ms`` are skipped; lines without one are kept
    (nothing says they are old) and stamped with the time they were read.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        query: LogQuery | None = None,
        fields: FieldMap = NO_MAPPING,
        follow: bool = True,
        start_ms: int | None = None,
        from_end: bool = False,
        poll_interval: float = 0.25,
        chunk_bytes: int = CHUNK_BYTES,
        max_line_bytes: int = MAX_LINE_BYTES,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.path = Path(path)
        self.query = query or LogQuery()
        self.fields = fields
        self.follow = follow
        self.start_ms = start_ms
        self.from_end = from_end
        self.poll_interval = poll_interval
        self.chunk_bytes = chunk_bytes
        self.max_line_bytes = max_line_bytes
        self.clock = clock
        self.sleep = sleep
        self._file: _Open | None = None
        self._generation = 0
        self._waiting = False
        self._running: asyncio.Event | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    async def run(self, emit: Emit, running: asyncio.Event | None = None) -> None:
        self._running = running
        try:
            if not self.follow:
                if not self._open(seek_end=False):
                    raise LogSourceError(self.name, "file not found")
                await self._drain(emit, final=True)
                return
            first = True
            while True:
                if running is not None:
                    await running.wait()
                await self._step(emit, seek_end=first and self.from_end)
                first = False
                await self.sleep(self.poll_interval)
        finally:
            if self._file is not None:
                self._file.close()
                self._file = None

    async def _step(self, emit: Emit, *, seek_end: bool) -> None:
        """One poll: open if needed, read what was appended, handle truncation and rotation."""
        if self._file is None:
            if not self._open(seek_end=seek_end):
                if not self._waiting:
                    self._waiting = True
                    await self._notice(emit, "waiting", "file not found; waiting for it")
                return
            if self._waiting:
                self._waiting = False
                await self._notice(emit, "ok", "file appeared")
        await self._drain(emit, final=False)
        current = self._file
        assert current is not None
        if os.fstat(current.fd).st_size < current.offset:
            os.lseek(current.fd, 0, os.SEEK_SET)
            current.offset = current.partial_offset = 0
            current.partial = b""
            self._generation += 1
            current.generation = self._generation
            await self._notice(emit, "truncated", "file truncated; reading from its start")
            await self._drain(emit, final=False)
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return  # moved away, no successor yet: keep the old file until one appears
        if (st.st_dev, st.st_ino) != current.identity:
            await self._drain(emit, final=True)  # what was written before the move
            current.close()
            self._file = None
            if self._open(seek_end=False):
                await self._notice(emit, "rotated", "file rotated; following the new file")
                await self._drain(emit, final=False)

    def _open(self, *, seek_end: bool) -> bool:
        try:
            # O_NONBLOCK: opening a FIFO would otherwise wait for a writer (no effect on files)
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise LogSourceError(self.name, exc.strerror or str(exc)) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO would block the loop on read
            os.close(fd)
            raise LogSourceError(self.name, "not a regular file")
        self._generation += 1
        self._file = _Open(fd, self._generation)
        if seek_end:
            end = os.lseek(fd, 0, os.SEEK_END)
            self._file.offset = self._file.partial_offset = end
        return True

    async def _drain(self, emit: Emit, *, final: bool) -> None:
        """Read to the end of the open file; ``final`` delivers an unfinished last line too."""
        current = self._file
        assert current is not None
        while True:
            if self._running is not None:
                await self._running.wait()
            data = os.read(current.fd, self.chunk_bytes)
            if not data:
                break
            lines = self._split(current, data)
            if lines:
                await emit(LogBatch(lines=tuple(lines)))
            await asyncio.sleep(0)  # a large file must not starve the UI between chunks
        if final and current.partial:
            line = self._line(current, current.partial, current.partial_offset)
            current.partial = b""
            current.partial_offset = current.offset
            if line is not None:
                await emit(LogBatch(lines=(line,)))

    def _split(self, current: _Open, data: bytes) -> list[LogLine]:
        buf = current.partial + data
        start_offset = current.partial_offset
        current.offset += len(data)
        pieces = buf.split(b"\n")
        rest = pieces.pop()
        lines = []
        offset = start_offset
        for piece in pieces:
            line = self._line(current, piece, offset)
            offset += len(piece) + 1
            if line is not None:
                lines.append(line)
        if len(rest) > self.max_line_bytes:  # a runaway line: deliver it rather than grow
            line = self._line(current, rest, offset)
            offset += len(rest)
            rest = b""
            if line is not None:
                lines.append(line)
        current.partial = rest
        current.partial_offset = offset
        return lines

    def _line(self, current: _Open, raw: bytes, offset: int) -> LogLine | None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if not text.strip():
            return None
        parsed = parse_message(text)
        stamped = field_timestamp_ms(parsed) if parsed is not None else None
        if stamped is not None and self.start_ms is not None and stamped < self.start_ms:
            return None
        line = make_line(
            event_id=f"{current.identity[1]}:{current.generation}:{offset}",
            timestamp=int(stamped if stamped is not None else self.clock() * 1000),
            log_group=self.name,
            stream=self.path.name,
            message=text,
            source="file",
            parsed=parsed,
            fields=self.fields,
        )
        return line if self.query.matches(line) else None

    async def _notice(self, emit: Emit, kind: NoticeKind, message: str) -> None:
        await emit(LogBatch(notices=(SourceNotice(self.name, kind, message),)))
