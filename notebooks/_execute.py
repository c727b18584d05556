"""Execute one notebook headless with nbclient, without losing output.

Usage: /usr/bin/python3 notebooks/_execute.py IN.ipynb OUT.ipynb [--kernel deno] [--cwd DIR]
       [--timeout SECONDS] [--settle SECONDS] [--prelude FILE]

Called by notebooks/run.ts (`deno task notebooks`); it is not meant to be run by hand.

Deno's Jupyter kernel publishes a cell's `status: idle` on IOPub before the cell's stdout, displays
and even its `execute_result` have all been sent (they travel through a separate queue). Stock
nbclient (and so `jupyter nbconvert --execute`) stops listening to a cell at `idle`, so whatever
arrives afterwards is dropped, at random. This driver, after a cell's `idle`, runs a tiny sentinel
cell that prints a token, and keeps collecting the first cell's messages (they carry its parent id)
until the token and the sentinel's `idle` have arrived and IOPub has then been quiet for `--settle`
seconds. The sentinel's own output is discarded, and execution counts are renumbered 1, 2, ...

`--prelude FILE` runs FILE's code first, before the notebook's cells, without recording it
(the runner uses it to revoke the permissions a notebook does not need).

Exit status: 0 on success; 1 when a cell raised (OUT then holds the notebook up to and including the
failing cell, and stderr the cell's index, source and traceback); 2 on usage or kernel errors.
"""

import argparse
import re
import sys
import time
import uuid
from queue import Empty

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError
from nbclient.util import ensure_async

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DrainingClient(NotebookClient):
    """NotebookClient that keeps reading a cell's IOPub messages after the kernel reports idle."""

    settle = 0.1  # seconds of IOPub silence required after the sentinel
    sentinel_timeout = 60.0  # seconds to wait for the sentinel before giving up (with a warning)
    late_messages = 0  # how many of the notebook's outputs arrived after their cell's idle

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        kc = self.kc
        while True:  # phase 1: what nbclient does, up to the cell's idle
            msg = await ensure_async(kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
            elif msg["msg_type"] != "status":
                print("warning: cell %d: dropped a %s message of an unknown request" % (cell_index, msg["msg_type"]),
                      file=sys.stderr)
        # phase 2: a sentinel cell whose stdout, display and result each travel the same queue as
        # the cell's own; drain until all three and its idle are back and IOPub is then quiet
        token = "__denograd_sentinel_%s__" % uuid.uuid4().hex
        code = 'console.log("%s");\nawait Deno.jupyter.display({ "text/plain": "%s" }, { raw: true });\n"%s";' % (
            token, token, token)
        sentinel_id = kc.execute(code, store_history=False)
        missing = {"stream", "display_data", "execute_result", "idle"}
        deadline = time.monotonic() + self.sentinel_timeout
        while True:
            timeout = self.settle if not missing else max(0.01, deadline - time.monotonic())
            try:
                msg = await ensure_async(kc.iopub_channel.get_msg(timeout=timeout))
            except Empty:
                if missing:
                    print("warning: cell %d: sentinel's %s did not come back; outputs may be incomplete"
                          % (cell_index, ", ".join(sorted(missing))), file=sys.stderr)
                return
            parent = msg["parent_header"].get("msg_id")
            kind = msg["msg_type"]
            if parent == parent_msg_id:
                if kind == "status":
                    continue
                DrainingClient.late_messages += 1
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass
            elif parent == sentinel_id:
                if kind == "status":
                    if msg["content"].get("execution_state") == "idle":
                        missing.discard("idle")
                elif kind == "stream":
                    # the kernel tags stdout with the request running when it is flushed, so the
                    # cell's last lines can arrive labelled as the sentinel's: give them back
                    text = msg["content"].get("text", "")
                    if token in text:
                        missing.discard(kind)
                    rest = "".join(line for line in text.splitlines(True) if token not in line)
                    if rest:
                        DrainingClient.late_messages += 1
                        msg["content"]["text"] = rest
                        msg["parent_header"]["msg_id"] = parent_msg_id
                        self.process_message(msg, cell, cell_index)
                elif token in str(msg["content"]):
                    missing.discard(kind)
                elif kind in ("display_data", "execute_result", "error"):
                    DrainingClient.late_messages += 1
                    try:
                        self.process_message(msg, cell, cell_index)
                    except CellExecutionComplete:
                        pass
            elif kind != "status":
                print("warning: cell %d: dropped a %s message of an unknown request" % (cell_index, kind),
                      file=sys.stderr)


def run_prelude(client, nb, code):
    """Runs code in the kernel as an unrecorded first cell; raises RuntimeError if it fails."""
    cell = nbformat.v4.new_code_cell(code)
    nb.cells.insert(0, cell)
    try:
        client.execute_cell(cell, 0, execution_count=None, store_history=False)
    except CellExecutionError as err:
        raise RuntimeError("the prelude failed: %s" % err) from None
    finally:
        nb.cells.pop(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--kernel", default="deno")
    ap.add_argument("--cwd", default=".")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds per cell")
    ap.add_argument("--settle", type=float, default=0.1)
    ap.add_argument("--prelude", default=None)
    args = ap.parse_args()

    nb = nbformat.read(args.input, as_version=4)
    prelude = open(args.prelude).read() if args.prelude else None
    client = DrainingClient(
        nb, kernel_name=args.kernel, timeout=args.timeout, iopub_timeout=120, raise_on_iopub_timeout=False,
        record_timing=False, resources={"metadata": {"path": args.cwd}},
    )
    client.settle = args.settle
    status = 0
    started = time.monotonic()
    failing = None
    try:
        with client.setup_kernel():
            if prelude:
                run_prelude(client, nb, prelude)
            for index, cell in enumerate(nb.cells):
                failing = index
                cell_start = time.monotonic()
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
                if cell.cell_type == "code" and cell.source.strip():
                    cell.metadata.pop("execution", None)
                    took = time.monotonic() - cell_start
                    if took > 5:
                        print("  cell %d took %.1f s" % (index, took), file=sys.stderr)
    except CellExecutionError as err:
        status = 1
        where = "cell %d" % failing if failing is not None else "a cell"
        print("error in %s of %s:" % (where, args.input), file=sys.stderr)
        if failing is not None:
            src = nb.cells[failing].source
            print("".join("  | " + line + "\n" for line in src.splitlines()[:40]), file=sys.stderr, end="")
        print(ANSI.sub("", str(err)), file=sys.stderr)
    except Exception as err:  # kernel died, timeout, prelude failure
        status = 2
        print("error running %s: %s: %s" % (args.input, type(err).__name__, ANSI.sub("", str(err))), file=sys.stderr)
    # renumber execution counts 1, 2, ... (the sentinels take numbers in Deno's kernel)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if cell.get("execution_count") is None:
            continue
        count += 1
        cell.execution_count = count
        for out in cell.get("outputs", []):
            if out.get("output_type") == "execute_result":
                out["execution_count"] = count
    nbformat.write(nb, args.output)
    print("executed %s in %.1f s (%d late outputs caught)" % (args.input, time.monotonic() - started,
                                                             DrainingClient.late_messages), file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
