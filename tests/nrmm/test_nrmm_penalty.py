"""A machinery penalty imposed through a flow: evidence from an enforcement spot check by two officers, the
basis from the penalty-basis data and its department, the amount checked, the general procedure (prior
notice, service, answer or lapse, decision, service), two officers on every step, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.blacklist.conftest import OFFICERS
from tests.nrmm.test_nrmm_flow import add_machine

WHEN = "2026-11-05T10:00:00+08:00"


@pytest.fixture
def env(auth_headers):
    return auth_headers("environment")


def spot_check(client, headers, machine_id, **extra):
    body = {"machine_id": machine_id, "checked_at": WHEN, "k_readings": [1.5, 1.5, 1.5], "ringelmann": 0, **extra}
    return client.post("/api/v1/nrmm/spot-checks", json=body, headers=headers)


def step(client, headers, check_id, action, **fields):
    fields.setdefault("officers", OFFICERS)
    return client.post(
        f"/api/v1/nrmm/spot-checks/{check_id}/penalty-actions", json={"action": action, **fields}, headers=headers
    )


def test_an_enforcement_spot_check_needs_two_officers_with_certificates(client, env):
    mid = add_machine(client, env, "ENF-1").get_json()["id"]
    r = spot_check(client, env, mid, enforcement=True)
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]
    r = spot_check(client, env, mid, enforcement=True, officers=OFFICERS[:1])
    assert r.status_code == 422 and "第四十二条" in r.get_json()["error"]["message"]
    r = spot_check(client, env, mid, enforcement=True, officers=[OFFICERS[0], {**OFFICERS[1], "certificate_no": ""}])
    assert r.status_code == 422
    r = spot_check(client, env, mid, enforcement=True, officers=OFFICERS)
    assert r.status_code == 201 and r.get_json()["enforcement"] is True and r.get_json()["officers"] == OFFICERS
    # A survey check (a sampling round, no officers) is stored as such.
    r = spot_check(client, env, mid)
    assert r.status_code == 201 and r.get_json()["enforcement"] is False


def test_a_machinery_penalty_through_the_flow(client, env, auth_headers, app):
    from vehicle_enforce.cases.models import CaseDocument
    from vehicle_enforce.core import transaction
    from vehicle_enforce.core.audit import AuditEntry
    from vehicle_enforce.core.timeutil import local_day, now_utc
    from vehicle_enforce.extensions import db

    mid = add_machine(client, env, "PEN-1").get_json()["id"]
    survey = spot_check(client, env, mid).get_json()
    assert survey["violations"] == ["exceeding"] and survey["penalty_suggested"] is True
    # A survey check cannot back a penalty: officers must check as enforcement.
    r = step(client, env, survey["id"], "prior_notice", facts="机械排放超标")
    assert r.status_code == 409 and "enforcement" in r.get_json()["error"]["fields"]
    check = spot_check(client, env, mid, enforcement=True, officers=OFFICERS).get_json()
    cid = check["id"]
    notice = {"basis": "apl_114_1", "facts": "在用非道路移动机械排放超标（自由加速烟度 1.5 m⁻¹）"}
    # Only environment imposes art. 114; the amount is the basis's; two officers on every step.
    assert step(client, auth_headers("housing"), cid, "prior_notice", **notice).status_code == 403
    r = step(client, env, cid, "prior_notice", amount_yuan=4000, **notice)
    assert r.status_code == 422 and "5000" in r.get_json()["error"]["fields"]["amount_yuan"]
    r = step(client, env, cid, "prior_notice", **{**notice, "officers": OFFICERS[:1]})
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]
    r = step(client, env, cid, "prior_notice", basis="rtsl_90", facts="x")
    assert r.status_code == 422 and "basis" in r.get_json()["error"]["fields"]  # a vehicle-only basis
    r = step(client, env, cid, "prior_notice", **notice)
    assert r.status_code == 200, r.get_json()
    [told] = r.get_json()["documents"]
    assert told["kind"] == "prior_notice" and told["content"]["amount_yuan"] == 5000.0
    assert "陈述和申辩" in told["content"]["rights"]
    decision = {"decision_number": "泽环罚〔2026〕机1号", "procedure": "general"}
    # Not served yet: no decision.
    r = step(client, env, cid, "penalize", **decision)
    assert r.status_code == 409 and "prior_notice" in r.get_json()["error"]["fields"]
    r = step(client, env, cid, "serve", document="prior_notice", method="direct", served_to="机主 张某")
    assert r.status_code == 200
    # Served, the period running and no answer: still no decision.
    r = step(client, env, cid, "penalize", **decision)
    assert r.status_code == 409 and "prior_notice" in r.get_json()["error"]["fields"]
    # The summary procedure does not apply to a 5,000-yuan fine.
    r = step(client, env, cid, "penalize", **{**decision, "procedure": "summary", "served_to": "机主"})
    assert r.status_code == 422 and "procedure" in r.get_json()["error"]["fields"]
    # The period lapses without an answer (moved back instead of waiting three working days).
    doc = db.session.query(CaseDocument).filter_by(spot_check_id=cid, kind="prior_notice").one()
    doc.answer_due = local_day(now_utc()) - timedelta(days=1)
    transaction.commit()
    r = step(client, env, cid, "penalize", **decision)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["penalty"]["decision_number"] == decision["decision_number"]
    assert body["penalty"]["amount_yuan"] == 5000.0 and body["penalty"]["department"] == "environment"
    assert "第一百一十四条" in body["penalty"]["legal_basis"]
    made = next(d for d in body["documents"] if d["kind"] == "decision")
    assert "六十日内" in made["content"]["rights"] and made["service"] is None
    # Decided once; its service is the step left.
    assert step(client, env, cid, "penalize", **decision).status_code == 409
    r = step(client, env, cid, "serve", document="decision", method="post", served_to="机主 张某")
    assert r.status_code == 200
    assert next(d for d in r.get_json()["documents"] if d["kind"] == "decision")["service"]["method"] == "post"
    actions = [
        a.action for a in db.session.query(AuditEntry).filter_by(object_type="nrmm_spot_check", object_id=str(cid))
    ]
    for action in ("prior_notice", "serve", "penalize"):
        assert f"nrmm.penalty.{action}" in actions
    listed = client.get("/api/v1/nrmm/spot-checks", headers=env).get_json()["results"]
    assert next(c for c in listed if c["id"] == cid)["penalty"]["decision_number"] == decision["decision_number"]


def test_a_check_without_violations_cannot_be_penalised(client, env):
    mid = add_machine(client, env, "CLEAN-1", emission_stage=4).get_json()["id"]
    r = spot_check(client, env, mid, enforcement=True, officers=OFFICERS, k_readings=[0.2, 0.2, 0.2])
    assert r.status_code == 201 and r.get_json()["violations"] == []
    r = step(client, env, r.get_json()["id"], "prior_notice", basis="apl_114_1", facts="x")
    assert r.status_code == 409 and "spot_check" in r.get_json()["error"]["fields"]


def test_an_unknown_step_or_check_is_refused_in_chinese(client, env):
    mid = add_machine(client, env, "UNK-1").get_json()["id"]
    cid = spot_check(client, env, mid, enforcement=True, officers=OFFICERS).get_json()["id"]
    r = step(client, env, cid, "confirm")
    assert r.status_code == 422 and "未知的处罚环节" in r.get_json()["error"]["message"]
    assert "action" in r.get_json()["error"]["fields"]
    assert step(client, env, 999999, "prior_notice", basis="apl_114_1", facts="x").status_code == 404
