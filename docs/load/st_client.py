"""A browser-less Streamlit viewer: speaks the app's websocket protocol and times its runs.

One :class:`Viewer` is one browser tab on one page of the app. It does what the
frontend (streamlit/static, App.tsx and its WebsocketConnection) does on that
tab, minus drawing anything:

1. Opens ``ws://HOST:PORT/_stcore/stream`` with the subprotocols the frontend
   offers on a first connect (``streamlit`` and a placeholder auth token), and an
   Origin header as a same-origin page would send.
2. Asks for the page with a ``BackMsg.rerun_script`` whose ``ClientState`` names
   it the way a first load from the URL ``/<page>`` does: ``page_name`` is the
   URL path, ``page_script_hash`` is empty; the server resolves the page by its
   ``url_pathname``. Later requests carry the page's hash (from the
   ``navigation`` / ``new_session`` messages) and no name, as the frontend does.
3. Reads every ``ForwardMsg``. A run is bracketed by ``new_session`` (whose
   ``metadata.run.fragment_ids`` say whether it is the whole page or which
   fragments) and ``script_finished``.
4. Honours ``auto_rerun`` (``interval``, ``fragment_id``) like the frontend's
   ``handleAutoRerun``: one repeating timer per fragment (a second message with
   the same interval keeps the timer), each tick sends a ``rerun_script`` for
   that fragment with ``is_auto_rerun=True``, the same page and widget states.
   Timers stop on ``stop_auto_rerun`` and when a whole-page run starts, again as
   the frontend does. Like ``setInterval``, a tick does not wait for the
   previous refresh to finish; the server coalesces queued requests.
5. Keeps the frontend's ForwardMsg cache: messages marked ``metadata.cacheable``
   are remembered by hash and the hashes go back in ``cached_message_hashes``,
   so the server may answer with ``ref_hash`` references, which are counted.
   Entries age out after ``max_cached_message_age`` finished runs, as in the
   frontend's ForwardMsgCache.
6. Follows ``page_info_changed`` (the app rewriting its query string), so later
   requests carry the URL the browser would show.
7. Optionally fetches each image URL (``/media/...``) once, as a browser with a
   warm HTTP cache would.

Timing: a request is answered by the first run of the same fragment (or a whole
page run) that *started* after the request was sent, ending in a
``script_finished`` that is not ``FINISHED_EARLY_FOR_RERUN``. Its latency is
from sending the request to receiving that ``script_finished``. Bytes are the
websocket payload bytes (after permessage-deflate, if negotiated, is undone)
received between the run's ``new_session`` and its ``script_finished``.

Only the ``websockets`` package (already in the venv) and the standard library
are used, plus streamlit's own protobuf classes.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
DEFAULT_MAX_CACHED_MESSAGE_AGE = 2  # streamlit's global.maxCachedMessageAge default


def stream_url(http_url: str) -> str:
    """``http://host:port/base`` -> ``ws://host:port/base/_stcore/stream``."""
    parts = urlsplit(http_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    base = parts.path.rstrip("/")
    return f"{scheme}://{parts.netloc}{base}/_stcore/stream"


@dataclass
class Request:
    """One rerun_script this viewer sent."""

    sent: float  # perf_counter() when sent
    fragment_id: str  # "" for the whole page
    is_auto_rerun: bool
    answered: float | None = None  # perf_counter() of the script_finished that answered it

    @property
    def latency(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent


@dataclass
class Run:
    """One script run as the client saw it, from new_session to script_finished."""

    started: float
    fragment_ids: tuple[str, ...]  # () for a whole-page run
    bytes: int = 0
    messages: int = 0
    ref_hashes: int = 0
    finished: float | None = None
    status: int | None = None


@dataclass
class ViewerStats:
    requests: list[Request] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    auto_rerun_intervals: dict[str, float] = field(default_factory=dict)  # fragment id -> seconds
    bytes_total: int = 0
    messages_total: int = 0
    ref_hashes: int = 0  # ForwardMsgs that were references to a cached message
    cacheable: int = 0  # ForwardMsgs the server marked cacheable
    exceptions: int = 0  # st.exception elements (the app's script raised)
    page_not_found: int = 0
    media_fetched: int = 0
    media_bytes: int = 0
    media_errors: int = 0
    error: str | None = None  # why the connection ended early, if it did
    connected: float | None = None  # perf_counter() when the websocket opened
    closed: float | None = None  # and when this viewer left


class Viewer:
    """One simulated browser tab. ``await viewer.run(seconds)`` and read ``viewer.stats``."""

    def __init__(
        self,
        base_url: str,
        page: str = "",
        query_string: str = "",
        fetch_media: bool = True,
        name: str = "viewer",
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.page = page.strip("/")
        self.query_string = query_string.lstrip("?")
        self.fetch_media = fetch_media
        self.name = name
        self.stats = ViewerStats()

        self._ws = None
        self._page_script_hash = ""  # known after the first run; until then the page goes by name
        self._max_cached_age = DEFAULT_MAX_CACHED_MESSAGE_AGE
        self._cache: dict[str, list] = {}  # hash -> [run count when last used, fragment id]
        self._finished_runs = 0  # the frontend's scriptRunCount, for cache ageing
        self._timers: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> (interval, task)
        self._run: Run | None = None  # the run in progress
        self._pending: list[Request] = []  # sent, not yet answered
        self._seen_media: set[str] = set()
        self._media_tasks: set[asyncio.Task] = set()

    # -- requests ---------------------------------------------------------
    def _client_state_url(self) -> str:
        url = urljoin(self.base_url, self.page)
        return f"{url}?{self.query_string}" if self.query_string else url

    async def _send_rerun(self, fragment_id: str = "", is_auto_rerun: bool = False) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.widget_states.SetInParent()  # empty: this viewer never touches a widget
        if self._page_script_hash:
            cs.page_script_hash = self._page_script_hash
        else:  # first load: the page is named by its URL path, as the frontend does
            cs.page_name = self.page
        if fragment_id:
            cs.fragment_id = fragment_id
        cs.is_auto_rerun = is_auto_rerun
        cs.cached_message_hashes.extend(self._cache)
        ctx = cs.context_info
        ctx.timezone = "UTC"
        ctx.timezone_offset = 0
        ctx.locale = "en-US"
        ctx.url = self._client_state_url()
        ctx.is_embedded = False
        ctx.color_scheme = "light"
        request = Request(time.perf_counter(), fragment_id, is_auto_rerun)
        self.stats.requests.append(request)
        self._pending.append(request)
        await self._ws.send(msg.SerializeToString())

    # -- auto reruns (the frontend's handleAutoRerun / cleanupAutoReruns) ---
    def _start_timer(self, fragment_id: str, interval: float) -> None:
        current = self._timers.get(fragment_id)
        if current and current[0] == interval:
            return  # same fragment, same interval: the running timer stands
        self._stop_timer(fragment_id)
        task = asyncio.create_task(self._tick(fragment_id, interval), name=f"{self.name}-{fragment_id}")
        self._timers[fragment_id] = (interval, task)
        self.stats.auto_rerun_intervals[fragment_id] = interval

    def _stop_timer(self, fragment_id: str) -> None:
        entry = self._timers.pop(fragment_id, None)
        if entry:
            entry[1].cancel()

    def _stop_all_timers(self) -> None:
        for fragment_id in list(self._timers):
            self._stop_timer(fragment_id)

    async def _tick(self, fragment_id: str, interval: float) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + interval
        while True:
            await asyncio.sleep(max(0.0, due - loop.time()))
            # setInterval: a fixed cadence that does not wait for the refresh; a late
            # tick is not made up with a burst.
            due += interval
            if due <= loop.time():
                due = loop.time() + interval
            try:
                await self._send_rerun(fragment_id, is_auto_rerun=True)
            except ConnectionClosed:
                return  # the tab is closing; the reader reports why

    # -- the frontend's ForwardMsg cache -------------------------------------
    def _remember(self, msg: ForwardMsg) -> None:
        if msg.metadata.cacheable and msg.hash:
            self.stats.cacheable += 1
            fragment = msg.delta.fragment_id if msg.HasField("delta") else ""
            self._cache.setdefault(msg.hash, [self._finished_runs, fragment])[0] = self._finished_runs

    def _age_cache(self, fragment_ids: tuple[str, ...]) -> None:
        """After a finished run: drop entries unused for more than max age runs.

        After a fragment run only that fragment's entries are candidates, as in
        the frontend's ``incrementRunCount``.
        """
        self._finished_runs += 1
        for key, (last_used, fragment) in list(self._cache.items()):
            if fragment_ids and (not fragment or fragment not in fragment_ids):
                continue
            if self._finished_runs - last_used > self._max_cached_age:
                del self._cache[key]

    # -- media ------------------------------------------------------------------
    def _maybe_fetch_media(self, msg: ForwardMsg) -> None:
        if not self.fetch_media or not msg.HasField("delta"):
            return
        element = msg.delta.new_element
        if element.WhichOneof("type") != "imgs":
            return
        for img in element.imgs.imgs:
            if img.url and not img.url.startswith("data:") and img.url not in self._seen_media:
                self._seen_media.add(img.url)  # a browser's HTTP cache fetches each URL once
                task = asyncio.create_task(self._fetch(urljoin(self.base_url, img.url.lstrip("/"))))
                self._media_tasks.add(task)
                task.add_done_callback(self._media_tasks.discard)

    async def _fetch(self, url: str) -> None:
        def get() -> int:
            with urllib.request.urlopen(url, timeout=30) as response:
                return len(response.read())

        try:
            self.stats.media_bytes += await asyncio.to_thread(get)
            self.stats.media_fetched += 1
        except OSError:
            self.stats.media_errors += 1

    # -- incoming messages ---------------------------------------------------------
    def _on_message(self, data: bytes, now: float) -> None:
        msg = ForwardMsg.FromString(data)
        kind = msg.WhichOneof("type")
        self.stats.bytes_total += len(data)
        self.stats.messages_total += 1
        if self._run is not None:
            self._run.bytes += len(data)
            self._run.messages += 1
        self._remember(msg)

        if kind == "new_session":
            fragment_ids = tuple(msg.metadata.run.fragment_ids)
            self._run = Run(started=now, fragment_ids=fragment_ids, bytes=len(data), messages=1)
            self.stats.runs.append(self._run)
            ns = msg.new_session
            if not fragment_ids:  # a whole-page run: the frontend drops its timers and rereads the config
                self._stop_all_timers()
                if ns.config.max_cached_message_age:
                    self._max_cached_age = ns.config.max_cached_message_age
            if ns.page_script_hash:
                self._page_script_hash = ns.page_script_hash
        elif kind == "navigation":
            if msg.navigation.page_script_hash:
                self._page_script_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            if msg.auto_rerun.fragment_id:
                self._start_timer(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self._stop_timer(fragment_id)
        elif kind == "ref_hash":
            self.stats.ref_hashes += 1
            if self._run is not None:
                self._run.ref_hashes += 1
            if msg.ref_hash in self._cache:
                self._cache[msg.ref_hash][0] = self._finished_runs
        elif kind == "page_not_found":
            self.stats.page_not_found += 1
        elif kind == "delta":
            if msg.delta.new_element.WhichOneof("type") == "exception":
                self.stats.exceptions += 1
            self._maybe_fetch_media(msg)
        elif kind == "script_finished":
            self._on_script_finished(msg, now)

    def _on_script_finished(self, msg: ForwardMsg, now: float) -> None:
        run = self._run
        self._run = None
        if run is None:  # a finish with no start we saw (e.g. an error path): nothing to time
            return
        run.finished = now
        run.status = msg.script_finished
        if msg.script_finished == FINISHED_EARLY:
            return  # interrupted by a newer request: that request's run answers everything pending
        self._age_cache(run.fragment_ids)
        still_pending = []
        for request in self._pending:
            if request.sent <= run.started and (not run.fragment_ids or request.fragment_id in run.fragment_ids):
                request.answered = now
            else:
                still_pending.append(request)
        self._pending = still_pending

    # -- the session ----------------------------------------------------------------
    async def run(self, seconds: float) -> ViewerStats:
        """Open the page, keep it open ``seconds`` (from connecting), then close."""
        parts = urlsplit(self.base_url)
        deadline = time.perf_counter() + seconds
        try:
            async with connect(
                stream_url(self.base_url),
                subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"],
                origin=f"{parts.scheme}://{parts.netloc}",
                max_size=None,  # the frontend takes messages of any size
                ping_interval=None,  # browsers do not ping; they do answer the server's pings
                open_timeout=30,
                close_timeout=2,  # leaving must not stretch the measured window on a busy server
            ) as ws:
                self._ws = ws
                self.stats.connected = time.perf_counter()
                await self._send_rerun()
                while True:
                    left = deadline - time.perf_counter()
                    if left <= 0:
                        break
                    try:
                        data = await asyncio.wait_for(ws.recv(), timeout=left)
                    except TimeoutError:
                        break
                    if isinstance(data, str):
                        raise TypeError("text frame from the server; Streamlit sends binary protobufs")
                    self._on_message(data, time.perf_counter())
        except Exception as exc:  # report it with the numbers rather than lose the other viewers
            self.stats.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.stats.closed = time.perf_counter()
            self._stop_all_timers()
            for task in list(self._media_tasks):
                task.cancel()
        return self.stats
