"""gunicorn settings for the web processes: `lms serve`, or `gunicorn 'lms:create_app()'` run
from this folder (gunicorn reads ./gunicorn.conf.py by itself).

Everything comes from the environment (and `.env`):
  LMS_BIND            addresses to listen on, comma-separated   (127.0.0.1:8000)
  LMS_WEB_WORKERS     worker processes                          (2 x CPUs + 1, at most 8)
  LMS_WEB_THREADS     threads per worker                        (4)
  LMS_WEB_TIMEOUT     seconds before a stuck worker is replaced (60)
  LMS_ACCESS_LOG      gunicorn's access log: "-" for stderr, or a file (off: the application
                      already writes one line per request in JSON mode)
  LMS_LOG_FORMAT      json or text (json when LMS_ENV=production)
  LMS_FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-Proto (127.0.0.1,::1)
  PROMETHEUS_MULTIPROC_DIR  where workers keep their metrics (a fresh temporary folder)

`kill -HUP <master pid>` (systemctl reload) starts new workers with new code and settings and
stops the old ones once they have finished their requests. The scheduler never runs in the
workers: run one `lms scheduler` process beside them.
"""

import logging
import multiprocessing
import os
import tempfile
from pathlib import Path

import gunicorn
import gunicorn.http.wsgi
from dotenv import load_dotenv
from gunicorn.glogging import Logger

load_dotenv(os.environ.get("LMS_DOTENV", ".env"), override=False)

# No product name and version in the Server header (gunicorn's default is "gunicorn/23.0.0").
gunicorn.SERVER = gunicorn.SERVER_SOFTWARE = "lms"
gunicorn.http.wsgi.SERVER = gunicorn.http.wsgi.SERVER_SOFTWARE = "lms"

wsgi_app = "lms:create_app()"
bind = [address.strip() for address in os.environ.get("LMS_BIND", "127.0.0.1:8000").split(",")]
workers = int(os.environ.get("LMS_WEB_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 8))
threads = int(os.environ.get("LMS_WEB_THREADS") or 4)
worker_class = "gthread"
timeout = int(os.environ.get("LMS_WEB_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
forwarded_allow_ips = os.environ.get("LMS_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("LMS_ACCESS_LOG") or None
errorlog = "-"
proc_name = "lms-web"

# One scheduler for the whole installation (`lms scheduler`), never one per worker.
if os.environ.get("LMS_RUN_SCHEDULER", "").strip().lower() in {"1", "true", "yes", "on"}:
    logging.getLogger("gunicorn.error").warning(
        "LMS_RUN_SCHEDULER is ignored by the web workers; run `lms scheduler` once instead."
    )
os.environ["LMS_RUN_SCHEDULER"] = "false"

# Metrics of all workers add up (lms/metrics.py); set before any worker imports the client.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="lms-metrics-"))


def _json_logs() -> bool:
    chosen = os.environ.get("LMS_LOG_FORMAT", "").strip().lower()
    if chosen in {"json", "text"}:
        return chosen == "json"
    return os.environ.get("LMS_ENV", "") == "production"


class JsonLogger(Logger):
    """gunicorn's own messages and its access log as JSON lines, like the application's."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        from lms.logs import JsonFormatter

        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())
        for handler in self.access_log.handlers:
            handler.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        if not self.cfg.accesslog:
            return
        from lms.logs import JsonFormatter

        status = str(resp.status).split(" ", 1)[0]
        headers = {name.lower(): value for name, value in resp.headers}
        record = logging.LogRecord("gunicorn.access", logging.INFO, "", 0, "", None, None)
        record.msg = f"{req.method} {req.path} {status}"
        record.request_id = headers.get("x-request-id", "-")
        record.method = req.method
        record.path = req.path
        record.status = int(status) if status.isdigit() else status
        record.duration_ms = round(request_time.total_seconds() * 1000, 2)
        record.remote_addr = environ.get("REMOTE_ADDR")
        self.access_log.info(JsonFormatter().format(record))


class TextLogger(Logger):
    """gunicorn's plain logs, with the request id in the access log."""

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        if self.cfg.accesslog:
            super().access(resp, req, environ, request_time)


logger_class = JsonLogger if _json_logs() else TextLogger
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms [%({x-request-id}o)s] "%(a)s"'


def on_starting(server):  # type: ignore[no-untyped-def]
    """Start counting afresh: files left by an earlier run would be added to this one's."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("*.db"):
        leftover.unlink()
    server.log.info(
        "lms web: %s workers x %s threads on %s", server.cfg.workers, threads, ", ".join(bind)
    )


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
