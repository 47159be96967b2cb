"""Outgoing webhooks (issue 15, part 4), against a real HTTP receiver on loopback.

A receiver on 127.0.0.1 gets each event once, verifies the signature; a failing receiver is retried and then its
endpoint is marked failing; no event of another client, nor anything its users may not see, ever reaches it.
"""

import datetime as dt
import http.server
import json
import threading
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations import destinations, signing
from integrations.events import EVENTS
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from integrations.services import webhook_deliveries_sweep, webhook_endpoint_create
from integrations.tasks import deliver_webhook
from metrics.scores import services as score_services
from metrics.surveys.services import survey_answer
from projects.change_requests.services import change_request_decide, change_request_submit
from projects.documents.services import document_version_issue
from projects.milestones.services import milestone_update
from projects.models import ChangeRequestStatus
from projects.notifications.models import Notification
from projects.quality import services as quality_services
from projects.risks import services as risk_services
from tests.clients.factories import PASSWORD
from tests.conftest import api_as
from tests.metrics.factories import make_invitation
from tests.projects.document_factories import make_document
from tests.projects.factories import ChangeRequestFactory

ALL = EVENTS


class Receiver:
    """A real HTTP server on 127.0.0.1 (random port), in a thread, recording every request it gets.

    ``answers[path]``: the status it answers on that path (200 by default)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, int] = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 -- http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.answers.get(self.path, 200)
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answer {status} for {self.path}".encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def retry_now(settings):
    """Retries due at once, so a test runs the whole schedule by calling the task (production: 10 s … 2 h)."""
    settings.WEBHOOK_RETRY_COUNTDOWNS = [0, 0]


def endpoint(world, receiver, path, *, client=None, keys=None) -> tuple[WebhookEndpoint, str]:
    return webhook_endpoint_create(
        actor=world.admin, client=client, name=f"Receiver {path}", url=receiver.url(path), events=keys or ALL
    )


def deliver_all() -> None:
    """What the worker does: run the task of every pending delivery (as many rounds as retries need)."""
    for _ in range(10):
        pending = list(
            WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).order_by("pk").values_list("pk", flat=True)
        )
        if not pending:
            return
        for pk in pending:
            deliver_webhook(pk)


def bodies(requests) -> list[dict]:
    return [json.loads(r["body"]) for r in requests]


def test_signature_is_verifiable_and_refuses_tampering_and_replay():
    secret = signing.new_secret()
    body = b'{"event":"milestone.completed"}'
    header = signing.signature_header(secret, body, timestamp=1_800_000_000)
    assert header.startswith("t=1800000000,v1=")
    assert signing.verify(secret, header, body, now=1_800_000_010)
    assert not signing.verify(secret, header, body + b" ", now=1_800_000_010)  # body changed
    assert not signing.verify("whsec_other", header, body, now=1_800_000_010)  # another endpoint's secret
    assert not signing.verify(secret, header, body, now=1_800_000_000 + 301)  # replayed later
    assert not signing.verify(secret, "v1=abc", body)


def test_each_event_reaches_the_cmo_and_its_own_client_once_and_nothing_internal_or_of_another_client(world, receiver):
    cmo, cmo_secret = endpoint(world, receiver, "/cmo")
    mine, my_secret = endpoint(world, receiver, "/aurora", client=world.client_a)
    endpoint(world, receiver, "/borealis", client=world.client_b)
    today = timezone.localdate()

    # Given everything that happens on client A's project, once each:
    milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Supplier late"
    )
    milestone_update(
        actor=world.pm,
        milestone=world.internal_milestone_a,
        forecast_date=dt.date(2026, 8, 1),
        reason="Internal costing slipped",
    )
    milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=Decimal(100), today=today)
    change = ChangeRequestFactory(project=world.project_a, created_by=world.pm, status=ChangeRequestStatus.DRAFT)
    change_request_submit(actor=world.pm, change=change)
    change_request_decide(actor=world.approver_a, change=change, password=PASSWORD, approve=False)
    document = make_document(world.project_a, world.pm, title="Aurora certificate of analysis")
    document_version_issue(actor=world.pm, version=document.current)
    answers = {name: 4 for name in ("csat_communication", "csat_responsiveness", "csat_quality", "csat_schedule")}
    survey_answer(
        actor=world.viewer_a,
        invitation=make_invitation(world.project_a, world.viewer_a),
        answers={**answers, "csat_overall": 5, "nps": 9},
    )
    deliver_all()

    # The CMO receives all seven, the internal slip included.
    cmo_got = bodies(receiver.at("/cmo"))
    assert [b["event"] for b in cmo_got] == [
        "milestone.slipped",
        "milestone.slipped",
        "milestone.completed",
        "change_request.submitted",
        "change_request.decided",
        "document.issued",
        "survey.answered",
    ]
    assert world.internal_milestone_a.name in json.dumps(cmo_got)
    # Client A receives the same but the internal milestone's slip, and nothing of it anywhere in the bytes.
    mine_got = bodies(receiver.at("/aurora"))
    assert [b["event"] for b in mine_got] == [
        "milestone.slipped",
        "milestone.completed",
        "change_request.submitted",
        "change_request.decided",
        "document.issued",
        "survey.answered",
    ]
    raw = b"".join(r["body"] for r in receiver.at("/aurora")).decode()
    assert world.internal_milestone_a.name not in raw
    assert "Internal costing slipped" not in raw
    assert mine_got[0]["milestone"]["previous_forecast_date"] == "2026-06-01"
    assert mine_got[3]["change_request"]["status"] == "rejected"
    assert mine_got[5]["survey_response"]["nps"] == 9
    assert {b["client"]["slug"] for b in mine_got} == {world.client_a.slug}
    # Client B's endpoint receives nothing of client A.
    assert receiver.at("/borealis") == []
    assert not WebhookDelivery.objects.filter(endpoint__client=world.client_b).exists()

    # Every request is signed with its endpoint's secret and names its event and delivery.
    for path, secret in (("/cmo", cmo_secret), ("/aurora", my_secret)):
        for request in receiver.at(path):
            headers = request["headers"]
            assert signing.verify(secret, headers["X-CMO-Signature"], request["body"])
            assert headers["X-CMO-Event"] == json.loads(request["body"])["event"]
            assert headers["X-CMO-Delivery"] == json.loads(request["body"])["id"]
    first = receiver.at("/aurora")[0]
    assert not signing.verify(cmo_secret, first["headers"]["X-CMO-Signature"], first["body"])  # not another's key
    delivery_ids = [r["headers"]["X-CMO-Delivery"] for r in receiver.at("/aurora")]
    assert len(set(delivery_ids)) == len(delivery_ids)

    # Once: running every delivery's task again (a redelivered message, the sweep) sends nothing more.
    sent = len(receiver.requests)
    for delivery in WebhookDelivery.objects.all():
        assert deliver_webhook(delivery.pk) == DeliveryStatus.DELIVERED
    webhook_deliveries_sweep(now=timezone.now() + dt.timedelta(hours=1))
    assert len(receiver.requests) == sent
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}
    assert cmo.deliveries.filter(attempts=1).count() == 7


def test_an_internal_rag_change_reaches_the_cmo_but_not_the_client(world, receiver):
    now = dt.datetime(2026, 11, 24, 10, 7, tzinfo=dt.UTC)
    endpoint(world, receiver, "/cmo", keys=["rag.changed"])
    endpoint(world, receiver, "/aurora", client=world.client_a, keys=["rag.changed"])
    score_services.scores_recompute(project_ids=[world.project_a.pk], now=now)
    deliver_all()
    before = len(receiver.requests)
    # Internal risks and deviations: the CMO's lens worsens, the client's (only what it may see) does not.
    for n in range(3):
        risk_services.risk_create(actor=world.pm, project=world.project_a, title=f"Risk {n}", probability=5, impact=5)
    for severity in ("critical", "major"):
        quality_services.quality_event_create(
            actor=world.pm,
            project=world.project_a,
            reference=f"DEV-{severity}",
            title="Bioburden excursion",
            kind="deviation",
            severity=severity,
            opened=dt.date(2026, 11, 1),
        )
    score_services.scores_recompute(project_ids=[world.project_a.pk], now=now + dt.timedelta(minutes=15))
    deliver_all()
    new = receiver.requests[before:]
    assert [r["path"] for r in new] == ["/cmo"]
    score = json.loads(new[0]["body"])["score"]
    assert score["rag"] in ("amber", "red")
    assert score["previous_rag"] != score["rag"]
    assert "factors" not in json.dumps(score)
    assert "Bioburden" not in new[0]["body"].decode()


def test_a_failing_receiver_is_retried_then_marked_failing_and_a_success_clears_it(
    world, receiver, retry_now, django_capture_on_commit_callbacks
):
    receiver.answers["/down"] = 500
    hook, _ = endpoint(world, receiver, "/down", client=world.client_a, keys=["milestone.slipped"])
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Late")
    delivery = WebhookDelivery.objects.get(endpoint=hook)

    with django_capture_on_commit_callbacks(execute=False) as retries:
        assert deliver_webhook(delivery.pk) == DeliveryStatus.PENDING
    assert len(retries) == 1  # the retry is sent to the broker after the attempt commits
    deliver_all()
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert len(receiver.at("/down")) == 3  # the first attempt and two retries (WEBHOOK_RETRY_COUNTDOWNS)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 3, 500)
    assert delivery.last_response == "answer 500 for /down"
    assert [entry["status"] for entry in delivery.log] == [500, 500, 500]
    assert hook.failing
    assert hook.consecutive_failures == 1
    assert deliver_webhook(delivery.pk) == DeliveryStatus.FAILED
    assert len(receiver.at("/down")) == 3
    # The administrators are told once, when the endpoint becomes failing; nobody of the client is.
    told = Notification.objects.filter(kind="webhook_failing")
    assert [n.recipient for n in told] == [world.admin]
    assert "is failing" in told.get().shown_text()
    assert hook.name in told.get().shown_text()
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 15), reason="Later")
    deliver_all()
    hook.refresh_from_db()
    assert hook.consecutive_failures == 2
    assert told.count() == 1  # still failing: counted, not told again

    receiver.answers["/down"] = 204
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 8, 1), reason="Later")
    deliver_all()
    hook.refresh_from_db()
    assert len(receiver.at("/down")) == 7  # 3 + 3 failed attempts, then this success
    assert not hook.failing
    assert hook.consecutive_failures == 0


def test_a_redirect_is_an_answer_never_followed(world, receiver, retry_now):
    receiver.answers["/moved"] = 302
    hook, _ = endpoint(world, receiver, "/moved", keys=["milestone.slipped"])
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Late")
    deliver_all()
    assert receiver.at("/elsewhere") == []
    assert WebhookDelivery.objects.get(endpoint=hook).last_status_code == 302


def test_an_inactive_endpoint_or_client_receives_nothing(world, receiver):
    hook, _ = endpoint(world, receiver, "/off", client=world.client_a, keys=["milestone.slipped"])
    hook.active = False
    hook.save()
    endpoint(world, receiver, "/gone", client=world.client_a, keys=["milestone.slipped"])
    world.client_a.active = False
    world.client_a.save()
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Late")
    deliver_all()
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.aurora.example/cmo", True),
        ("http://hooks.aurora.example/cmo", False),  # clear text
        ("https://user:pw@hooks.aurora.example/", False),
        ("https://10.1.2.3/hook", False),
        ("https://169.254.169.254/latest/meta-data", False),  # cloud metadata
        ("https://[fd00::1]/hook", False),
        ("https://printer.local/hook", False),
        ("ftp://hooks.aurora.example/", False),
        ("http://127.0.0.1:8080/hook", True),  # the tests' receiver only (WEBHOOKS_ALLOW_LOOPBACK_HTTP)
        ("not a url", False),
    ],
)
def test_endpoint_addresses(url, allowed):
    if allowed:
        assert destinations.url_check(url) == url
    else:
        with pytest.raises(Exception, match=r"."):
            destinations.url_check(url)


def test_without_the_test_setting_loopback_is_refused_at_registration_and_at_send(settings, receiver):
    settings.WEBHOOKS_ALLOW_LOOPBACK_HTTP = False
    with pytest.raises(Exception, match="https"):
        destinations.url_check(receiver.url("/x"))
    with pytest.raises(Exception, match="private"):
        destinations.url_check("https://127.0.0.1/x")
    answer = destinations.post(receiver.url("/x"), b"{}", {}, timeout=2)
    assert answer.status is None
    assert not answer.ok
    assert receiver.requests == []


# --- /api/v1/webhooks/ ---------------------------------------------------------------------------------------


def test_api_admin_registers_sees_the_secret_once_and_reads_deliveries(world, receiver):
    admin = api_as(world.admin)
    created = admin.post(
        reverse("api:webhook-list"),
        {"client": world.client_a.pk, "name": "Aurora ERP", "url": receiver.url("/a"), "events": ["document.issued"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    pk = created.json()["id"]
    detail = admin.get(reverse("api:webhook-detail", kwargs={"pk": pk}))
    listing = api_as(world.leadership).get(reverse("api:webhook-list"))
    assert detail.status_code == 200
    assert listing.status_code == 200
    assert secret not in detail.content.decode() + listing.content.decode()
    assert WebhookEndpoint.objects.get(pk=pk).pgh_event_model.objects.filter(pgh_obj_id=pk).exists()
    assert secret not in json.dumps(list(WebhookEndpoint.pgh_event_model.objects.values()), default=str)

    document = make_document(world.project_a, world.pm)
    document_version_issue(actor=world.pm, version=document.current)
    deliver_all()
    deliveries = admin.get(reverse("api:webhook-deliveries", kwargs={"pk": pk})).json()
    assert [d["status"] for d in deliveries["results"]] == ["delivered"]
    assert deliveries["results"][0]["last_status_code"] == 200

    changed = admin.patch(
        reverse("api:webhook-detail", kwargs={"pk": pk}),
        {"events": ["survey.answered", "document.issued"], "reason": "ERP reads surveys now"},
        format="json",
    )
    assert changed.status_code == 200
    assert changed.json()["events"] == ["document.issued", "survey.answered"]
    assert admin.delete(reverse("api:webhook-detail", kwargs={"pk": pk})).status_code == 204
    assert not WebhookEndpoint.objects.get(pk=pk).active


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "http://hooks.example/", "events": ["document.issued"]}, "url"),
        ({"name": "x", "url": "https://10.0.0.5/", "events": ["document.issued"]}, "url"),
        ({"name": "x", "url": "https://hooks.example/", "events": ["project.deleted"]}, "events"),
        ({"name": "x", "url": "https://hooks.example/", "events": []}, "events"),
        ({"name": "x", "url": "https://hooks.example/", "events": "document.issued"}, "events"),
    ],
)
def test_api_bad_input_is_a_field_map_and_writes_nothing(world, body, field):
    response = api_as(world.admin).post(reverse("api:webhook-list"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_api_only_administrators_write_and_only_leadership_and_administrators_read(world):
    body = {"name": "x", "url": "https://hooks.example/", "events": ["document.issued"]}
    for user in (world.leadership, world.pm, world.approver_a, world.viewer_a):
        assert api_as(user).post(reverse("api:webhook-list"), body, format="json").status_code == 403
    for user in (world.pm, world.approver_a, world.viewer_a):
        assert api_as(user).get(reverse("api:webhook-list")).status_code == 403
    assert not WebhookEndpoint.objects.exists()


# --- A real worker ---------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_each_event_once_and_retries_a_failing_receiver(world, celery_worker, receiver):
    receiver.answers["/down"] = 503
    good, secret = endpoint(world, receiver, "/up", client=world.client_a, keys=["milestone.slipped"])
    bad, _ = endpoint(world, receiver, "/down", keys=["milestone.slipped"])
    endpoint(world, receiver, "/borealis", client=world.client_b, keys=["milestone.slipped"])
    milestone_update(actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 7, 1), reason="Late")

    deadline = time.monotonic() + 60
    while WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    log = celery_worker.log_path.read_text()[-3000:]
    assert not WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists(), log
    time.sleep(1.5)  # anything sent twice would have arrived by now
    assert len(receiver.at("/up")) == 1, log
    assert signing.verify(secret, receiver.at("/up")[0]["headers"]["X-CMO-Signature"], receiver.at("/up")[0]["body"])
    assert len(receiver.at("/down")) == 3  # 1 + len(WEBHOOK_RETRY_COUNTDOWNS) in the test settings
    assert receiver.at("/borealis") == []
    bad.refresh_from_db()
    assert bad.failing
    assert WebhookDelivery.objects.get(endpoint=good).status == DeliveryStatus.DELIVERED
