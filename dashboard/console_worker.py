"""One SQL console query in a process of its own: `python -m dashboard.console_worker`.

Why a process: DuckDB's `memory_limit` bounds its buffer pool only. Lists, long strings and the
vectors of an expression are allocated outside it (`select len(range(1e9))` reached 20 GB with a
1 GB limit, and its interrupt landed 158 s late), so only the kernel can bound them. The worker
caps its own address space (RLIMIT_AS) before it imports DuckDB: no allocation can take it past
the console's memory limit, whatever the operator.

Why a second process inside it: the query runs in a child forked as soon as the worker has read
its request, while the worker is still a bare interpreter. The worker reaps it with `wait4`,
which gives the child's own peak RSS. The kernel's figure for the worker itself would not be
the query's: a process started by a large one (the Streamlit server, a test session) carries its
parent's high-water mark across `exec`. The worker also kills the child at the deadline, so the
time limit is exact whatever DuckDB is doing; the parent (dashboard.sql_console) only guards
against a worker that does not answer.

Protocol: a JSON request on stdin; on stdout one JSON header line, then, for a result, the rows
as an Arrow IPC stream; on the file descriptor `report_fd`, once the query has ended, one JSON
line: `{"returncode", "timed_out", "peak_memory_bytes"}`. Imports stay light (no pandas, no
Streamlit): start-up is ~0.3 s.
"""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import sys
import time


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Kernel limits, set before DuckDB allocates anything: address space, CPU, no files."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes nothing but its stdout pipe
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def write_header(out, **header) -> None:
    out.write(json.dumps(header).encode() + b"\n")
    out.flush()


def run(request: dict, out) -> None:
    import duckdb
    import pyarrow as pa

    from dashboard.readonly_db import CATALOG, open_read_only

    try:
        con = open_read_only(request["path"], request["settings"])
        con.execute(f"use {CATALOG}")
        row_limit = int(request["row_limit"])
        # The newline before ")" keeps a trailing "-- comment" from swallowing the parenthesis.
        wrapped = f"select * from (\n{request['sql']}\n) as console_query limit {row_limit + 1}"
        reader = con.execute(wrapped).to_arrow_reader(1024)
        batches, rows, size = [], 0, 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            size += batch.nbytes
            if size > request["max_result_bytes"]:
                write_header(out, ok=False, kind="ResultTooLarge", message=str(size))
                return
        table = pa.Table.from_batches(batches, schema=reader.schema).slice(0, row_limit)
    except duckdb.Error as error:
        write_header(out, ok=False, kind=type(error).__name__, message=str(error))
        return
    except MemoryError:
        write_header(out, ok=False, kind="OutOfMemoryException", message="")
        return
    write_header(out, ok=True, truncated=rows > row_limit)
    with pa.ipc.new_stream(out, table.schema) as stream:
        stream.write_table(table)


def run_child(request: dict) -> None:
    """The query, in the forked child: kernel limits first, then DuckDB. Never returns."""
    code = 1
    try:
        os.close(request["report_fd"])  # the worker's to write, once this child has ended
        limit_resources(request["address_space_bytes"], request["cpu_seconds"])
        run(request, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()  # to the server's log; the parent sees no header and says so
    finally:
        os._exit(code)


def wait_until(pid: int, deadline: float) -> bool:
    """True once child `pid` has ended, False if the monotonic clock reaches `deadline` first."""
    pidfd = os.pidfd_open(pid)
    try:
        return bool(select.select([pidfd], [], [], max(0.0, deadline - time.monotonic()))[0])
    finally:
        os.close(pidfd)


def supervise(request: dict) -> dict:
    """Fork the query's child, kill it at the deadline, reap it: what it cost."""
    pid = os.fork()
    if pid == 0:
        run_child(request)
    os.close(sys.stdout.fileno())  # the child's end of the pipe alone: EOF when it ends
    timed_out = not wait_until(pid, request["deadline"])
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "peak_memory_bytes": usage.ru_maxrss * 1024,
    }


def main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    report = supervise(request)
    os.write(request["report_fd"], json.dumps(report).encode() + b"\n")


if __name__ == "__main__":
    main()
