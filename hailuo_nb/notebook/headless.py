"""Run a notebook headless (nbclient) and say where its videos are: the quickstart's engine.

``python -m hailuo_nb.notebook.headless notebooks/quickstart.ipynb`` executes the notebook
in its own folder (so the videos' relative paths hold), writes ``NAME.executed.ipynb``
beside it, and prints the executed notebook and the videos it shows. Needs ``nbclient``,
``nbformat`` and ``ipykernel`` (``scripts/quickstart.sh`` installs them).

Our updates from the runner's thread are parented to the cell running at that moment
(see :mod:`hailuo_nb.runner`), and ``%hailuo wait`` re-sends each final output from its
own cell, so plain nbclient saves the final videos: no custom client is needed.

Example::

    nb = execute("notebooks/quickstart.ipynb")
    print(videos(nb))
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

__all__ = ["execute", "main", "videos"]


def execute(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    timeout: int = 600,
    kernel_name: str = "python3",
) -> Any:
    """Execute the notebook at ``path`` in its folder and save it as ``out``.

    Example::

        nb = execute("notebooks/quickstart.ipynb", "notebooks/quickstart.executed.ipynb")
    """
    import nbformat

    source = Path(path).resolve()
    target = Path(out) if out else source.with_name(source.stem + ".executed.ipynb")
    nb = nbformat.read(source, as_version=4)  # type: ignore[no-untyped-call]
    client = _client_class()(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(source.parent)}},
    )
    client.execute()
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)  # type: ignore[no-untyped-call]
    return nb


def _client_class() -> Any:
    """nbclient's executor, with widget messages handled as a front end would.

    * A widget updated from the background (the runner's thread) sends its messages with
      the cell that *made* it as parent; plain nbclient drops them once another cell runs,
      so the saved widget state kept stale values. Comm messages of any cell are taken.
    * A closed widget is forgotten (plain nbclient keeps every widget ever made in the
      saved state: a finished comparison grid left ~270 KB of dead tiles behind).
    """
    from nbclient import NotebookClient
    from nbclient.util import ensure_async

    class HeadlessClient(NotebookClient):
        async def _async_poll_output_msg(
            self, parent_msg_id: str, cell: Any, cell_index: int
        ) -> None:
            from nbclient.exceptions import CellExecutionComplete

            assert self.kc is not None
            while True:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
                if msg["parent_header"].get("msg_id") == parent_msg_id:
                    try:
                        self.process_message(msg, cell, cell_index)
                    except CellExecutionComplete:
                        return
                elif msg["msg_type"].startswith("comm"):
                    self.handle_comm_msg(cell.outputs, msg, cell_index)

        def handle_comm_msg(self, outs: Any, msg: dict[str, Any], cell_index: int) -> None:
            if msg["msg_type"] == "comm_close":
                comm_id = msg["content"]["comm_id"]
                self.widget_state.pop(comm_id, None)
                self.widget_buffers.pop(comm_id, None)
                self.comm_objects.pop(comm_id, None)
                return
            super().handle_comm_msg(outs, msg, cell_index)

    return HeadlessClient


_SRC = re.compile(r'<video[^>]*\bsrc="([^"]+)"')


def videos(nb: Any) -> list[str]:
    """The ``<video src>`` of every output in an executed notebook, in order, once each.

    Example:
        >>> videos({"cells": [{"outputs": [{"data": {"text/html": '<video src="a.mp4">'}}]}]})
        ['a.mp4']
    """
    found: list[str] = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            text = "".join(html) if isinstance(html, list) else html
            for src in _SRC.findall(text):
                if src not in found:
                    found.append(src)
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line: execute a notebook, print the executed file and its videos.

    Example::

        python -m hailuo_nb.notebook.headless notebooks/quickstart.ipynb
    """
    parser = argparse.ArgumentParser(prog="python -m hailuo_nb.notebook.headless")
    parser.add_argument("notebook")
    parser.add_argument("-o", "--out", help="executed notebook (default NAME.executed.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="per cell, seconds")
    args = parser.parse_args(argv)
    source = Path(args.notebook).resolve()
    out = Path(args.out) if args.out else source.with_name(source.stem + ".executed.ipynb")
    nb = execute(source, out, timeout=args.timeout)
    print(f"executed notebook: {out}")
    for src in videos(nb):
        if src.startswith("data:"):
            print("video: (embedded in the notebook)")
        else:
            from urllib.parse import unquote

            print(f"video: {source.parent / unquote(src)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
