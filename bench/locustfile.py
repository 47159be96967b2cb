"""Locust load for one URL of the bench's gunicorn (``make bench`` runs it headless, one URL at a time).

BENCH_PATH: the path to GET; BENCH_COOKIE: the session cookie of the user who reads it (empty: anonymous).
Each simulated user sends its next request as soon as the previous one answered (closed loop, no think time).
"""

import os

from locust import FastHttpUser, constant, task


class PortalReader(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 120.0

    @task
    def read(self) -> None:
        cookie = os.environ.get("BENCH_COOKIE", "")
        self.client.get(os.environ["BENCH_PATH"], headers={"Cookie": cookie} if cookie else {}, name="page")
