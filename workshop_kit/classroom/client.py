"""A participant as the room sees one, over HTTP only: log in with the form, start a server, run a notebook's cells
on a kernel through the Jupyter REST and websocket API. The capacity benchmark and the tests use it.

>>> sara = Participant("http://127.0.0.1:8000", "Sara", "riad-safran-42")   # doctest: +SKIP
>>> sara.login().start_server()                                              # doctest: +SKIP
>>> sara.run_notebook("carnets/00_decouvrir.ipynb")["errors"]               # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import ParameterError
from .names import account_of

RESULT_TYPES = ("display_data", "execute_result")
CONNECT_TIMEOUT_S = 180.0
"""A kernel's websocket answers once the kernel is up: on a busy machine, with a room starting at once, that can
take as long as starting a server."""


@dataclass
class Execution:
    """What one cell did: its outputs (Jupyter's message contents), its error if any, how long it took."""

    outputs: list[dict] = field(default_factory=list)
    error: dict | None = None
    seconds: float = 0.0

    @property
    def text(self) -> str:
        parts = []
        for out in self.outputs:
            if "text" in out:
                parts.append(out["text"])
            elif "data" in out:
                parts.append(out["data"].get("text/plain", ""))
        return "".join(parts)

    @property
    def shows_result(self) -> bool:
        return any(out.get("_type") in RESULT_TYPES for out in self.outputs)


class LoginRefused(Exception):
    """The hub answered the login form with a refusal (its page is in ``.page``)."""

    def __init__(self, status: int, page: str):
        super().__init__(f"refused ({status}): {' '.join(page.split())[:200]}")
        self.status = status
        self.page = page


class Participant:
    """One participant: a browser session with the hub, then a token for their server's API."""

    def __init__(self, base_url: str, name: str, code: str, *, timeout: float = 30.0):
        import requests

        self.base = base_url.rstrip("/")
        self.name = name
        self.code = code
        try:  # a hostile name is sent as it is: refusing it is the hub's job, and what a test checks
            self.account = account_of(name)
        except ParameterError:
            self.account = ""
        self.timeout = timeout
        self.http = requests.Session()
        self.token: str | None = None
        self.started_at: float | None = None

    # ---- the hub ----------------------------------------------------------------------------------------------

    def login(self) -> Participant:
        """Fill the login form; raises :class:`LoginRefused` with the hub's page when it says no."""
        self.started_at = self.started_at or time.perf_counter()
        self.http.get(f"{self.base}/hub/login", timeout=self.timeout)
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or self.http.cookies.get("_xsrf")
        response = self.http.post(f"{self.base}/hub/login", data={"username": self.name, "password": self.code,
                                                                  "_xsrf": xsrf}, allow_redirects=False,
                                  timeout=self.timeout)
        if response.status_code != 302:
            raise LoginRefused(response.status_code, response.content.decode("utf-8", "replace"))
        headers = {"X-XSRFToken": self.http.cookies.get("_xsrf", path="/hub/") or xsrf}
        made = self.http.post(f"{self.base}/hub/api/users/{self.account}/tokens", headers=headers,
                              json={"note": "workshop-kit participant", "expires_in": 4 * 3600}, timeout=self.timeout)
        made.raise_for_status()
        self.token = made.json()["token"]
        return self

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def start_server(self, timeout: float = 180.0) -> Participant:
        """Ask the hub for this participant's server and wait until it answers; a refusal (room full) raises
        :class:`LoginRefused` with the hub's message."""
        response = self.http.post(f"{self.base}/hub/api/users/{self.account}/server", headers=self._auth(),
                                  timeout=self.timeout)
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise LoginRefused(response.status_code, response.content.decode("utf-8", "replace"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.http.get(f"{self.base}/hub/api/users/{self.account}", headers=self._auth(),
                                 timeout=self.timeout).json()
            server = (user.get("servers") or {}).get("")
            if server and server.get("ready"):
                return self
            if not server or not server.get("pending"):
                raise LoginRefused(503, self._spawn_message())
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not start within {timeout:.0f} s")

    def _spawn_message(self) -> str:
        """The hub's last word on a start that failed (its progress events), e.g. the room is full."""
        progress = self.http.get(f"{self.base}/hub/api/users/{self.account}/server/progress", headers=self._auth(),
                                 timeout=self.timeout)
        messages = []
        for line in progress.content.decode("utf-8", "replace").splitlines():
            if line.startswith("data:"):
                try:
                    messages.append(json.loads(line[5:]).get("message", ""))
                except ValueError:
                    continue
        return messages[-1] if messages else progress.content.decode("utf-8", "replace")

    def stop_server(self, timeout: float = 60.0) -> None:
        """Stop this participant's server (as the idle culler does) and wait until it is gone."""
        self.http.delete(f"{self.base}/hub/api/users/{self.account}/server", headers=self._auth(),
                         timeout=self.timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            user = self.http.get(f"{self.base}/hub/api/users/{self.account}", headers=self._auth(),
                                 timeout=self.timeout).json()
            if not (user.get("servers") or {}).get(""):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not stop within {timeout:.0f} s")

    # ---- the participant's server -----------------------------------------------------------------------------

    def api(self, method: str, path: str, **kw) -> Any:
        response = self.http.request(method, f"{self.base}/user/{self.account}/api{path}", headers=self._auth(),
                                     timeout=self.timeout, **kw)
        response.raise_for_status()
        return response.json() if response.content else None

    def open_notebook(self, path: str) -> Kernel:
        """A kernel for the notebook at ``path`` (relative to the participant's folder), started in its folder."""
        session = self.api("POST", "/sessions", json={"path": path, "type": "notebook", "name": path.split("/")[-1],
                                                      "kernel": {"name": "python3"}})
        return Kernel(self, session["kernel"]["id"])

    def run_notebook(self, path: str, *, cell_timeout: float = 180.0) -> dict[str, Any]:
        """Run every code cell of the participant's copy of the notebook at ``path``, in order, stopping at the first
        error. Returns the cells' executions, the error if any, the seconds to the first result shown (from the
        start of the login) and in all."""
        notebook = self.api("GET", f"/contents/{path}")["content"]
        kernel = self.open_notebook(path)
        runs: list[Execution] = []
        first = None
        start = time.perf_counter()
        try:
            for cell in notebook["cells"]:
                if cell["cell_type"] != "code":
                    continue
                source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                run = kernel.execute(source, timeout=cell_timeout)
                runs.append(run)
                if run.error:
                    break
                if first is None and run.shows_result:
                    first = time.perf_counter() - (self.started_at or start)
        finally:
            kernel.close()
        errors = [r.error for r in runs if r.error]
        return {"cells": runs, "errors": errors, "first_result_s": first, "seconds": time.perf_counter() - start,
                "kernel": kernel.id}


class Kernel:
    """One kernel of a participant's server, spoken to through its websocket (Jupyter's messaging protocol)."""

    def __init__(self, participant: Participant, kernel_id: str):
        import websocket

        self.participant = participant
        self.id = kernel_id
        url = (participant.base.replace("http", "ws", 1)
               + f"/user/{participant.account}/api/kernels/{kernel_id}/channels")
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {participant.token}"],
                                              timeout=CONNECT_TIMEOUT_S)

    def execute(self, code: str, *, timeout: float = 180.0) -> Execution:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": self.participant.account, "session": self.session,
                       "msg_type": "execute_request", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        }))
        run = Execution()
        start = time.perf_counter()
        idle = replied = False
        self.ws.settimeout(timeout)
        while not (idle and replied):
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"a cell ran more than {timeout:.0f} s")
            message = json.loads(self.ws.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            content = message["content"]
            if kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                if content.get("status") == "error" and run.error is None:
                    run.error = {"ename": content.get("ename"), "evalue": content.get("evalue")}
            elif kind in (*RESULT_TYPES, "stream"):
                run.outputs.append(dict(content, _type=kind))
            elif kind == "error":
                run.error = {"ename": content.get("ename"), "evalue": content.get("evalue")}
        run.seconds = time.perf_counter() - start
        return run

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:  # noqa: BLE001 - a kernel already gone
            pass
