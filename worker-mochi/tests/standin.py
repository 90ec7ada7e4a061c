"""A loopback stand-in for UploadThing's REST API and ingest server (tests only)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk_test_standin"
APP_ID = "openvtestapp"

DROP = 0
"""A fault 'status' that closes the connection without an answer (a network error)."""


@dataclass
class StoredFile:
    key: str
    custom_id: str | None
    name: str
    data: bytes


@dataclass
class UploadThingStandIn:
    base_url: str = ""
    files: dict[str, StoredFile] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    faults: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    """route prefix -> statuses to answer with before behaving (``DROP`` = close the socket)."""
    used_custom_ids: set[str] = field(default_factory=set)
    """Every custom id ever prepared: UploadThing refuses one again even after ``deleteFiles``
    (pingdotgg/uploadthing#948, #888)."""
    _counter: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, route: str, *statuses: int) -> None:
        self.faults[route].extend(statuses)

    def count(self, method: str, route: str) -> int:
        return sum(1 for m, path in self.requests if m == method and path.startswith(route))

    def next_key(self, custom_id: str) -> str:
        with self._lock:
            self._counter += 1
            # From the counter only: custom ids are random per attempt, keys stay reproducible.
            digest = hashlib.sha256(f"key:{self._counter}".encode()).hexdigest()
        return f"{APP_ID[:6]}{digest[:30]}"


def _make_handler(state: UploadThingStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _fault(self) -> bool:
            path = self.path.split("?")[0]
            for route, statuses in state.faults.items():
                if path.startswith(route) and statuses:
                    status = statuses.pop(0)
                    if status == DROP:
                        self.close_connection = True
                        self.connection.close()
                    else:
                        self._answer(status, {"error": f"stand-in fault {status}"})
                    return True
            return False

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("content-length", "0")))

        def do_POST(self) -> None:
            body = self._body()
            state.requests.append(("POST", self.path))
            if self._fault():
                return
            if self.headers.get("x-uploadthing-api-key") != API_KEY:
                self._answer(401, {"error": "Invalid API key"})
                return
            payload = json.loads(body)
            if self.path == "/v6/deleteFiles":
                custom_ids = set(payload.get("customIds", []))
                doomed = [k for k, f in state.files.items() if f.custom_id in custom_ids]
                for key in doomed:
                    del state.files[key]
                self._answer(200, {"success": True, "deletedCount": len(doomed)})
            elif self.path == "/v7/prepareUpload":
                custom_id = payload["customId"]
                if custom_id in state.used_custom_ids:
                    self._answer(409, {"error": "customId already exists"})
                    return
                state.used_custom_ids.add(custom_id)
                key = state.next_key(custom_id)
                url = (
                    f"{state.base_url}/ingest/{key}?expires=1&x-ut-custom-id={custom_id}"
                    f"&x-ut-file-name={payload['fileName']}&signature=hmac-sha256%3Dsecret"
                )
                self._answer(200, {"key": key, "url": url})
            else:
                self._answer(404, {"error": "no such route"})

        def do_PUT(self) -> None:
            body = self._body()
            state.requests.append(("PUT", self.path))
            if self._fault():
                return
            path, _, query = self.path.partition("?")
            key = path.removeprefix("/ingest/")
            params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
            message = BytesParser(policy=HTTP).parsebytes(
                f"content-type: {self.headers['content-type']}\r\n\r\n".encode() + body
            )
            parts = [
                p
                for p in message.iter_parts()
                if p.get_param("name", header="content-disposition") == "file"
            ]
            if len(parts) != 1:
                self._answer(400, {"error": "expected one multipart field named file"})
                return
            part = parts[0]
            state.files[key] = StoredFile(
                key=key,
                custom_id=params.get("x-ut-custom-id"),
                name=part.get_filename() or "",
                data=part.get_payload(decode=True),
            )
            self._answer(
                200,
                {
                    "url": f"https://utfs.io/f/{key}",
                    "appUrl": f"https://utfs.io/a/{APP_ID}/{key}",
                    "ufsUrl": f"https://{APP_ID}.ufs.sh/f/{key}",
                    "fileHash": hashlib.md5(body).hexdigest(),
                    "serverData": None,
                },
            )

    return Handler


class RunningStandIn:
    def __init__(self) -> None:
        self.state = UploadThingStandIn()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self.state))
        self.state.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> UploadThingStandIn:
        self._thread.start()
        return self.state

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
