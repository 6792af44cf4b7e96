"""Due process (行政处罚法): officers on every on-site step, a prior notice before a penalty beyond the summary
procedure, the owner's answer or the lapse of the period, service of each document, rights of appeal."""

from __future__ import annotations

from datetime import timedelta

from tests.blacklist.conftest import NOV, OFFICERS, act, beijing_today

TWO = [{"name": "李执法", "certificate_no": "14050101"}, {"name": "王执法", "certificate_no": "14050102"}]


def state(client, auth_headers, case_id):
    return client.get(f"/api/v1/cases/{case_id}", headers=auth_headers("environment")).get_json()


def test_a_penalty_beyond_the_summary_procedure_needs_a_served_prior_notice_and_an_answer(
    confirmed, client, auth_headers
):
    env = auth_headers("environment")
    decision = {"decision_number": "晋E环罚2026-01", "basis": "apl_114_1", "amount_yuan": 5000, "officers": TWO}
    # No prior notice: refused, the case stays confirmed.
    r = act(client, env, confirmed, "penalize", procedure="general", **decision)
    assert r.status_code == 409 and "prior_notice" in r.get_json()["error"]["fields"]
    assert "第四十四条" in r.get_json()["error"]["message"]
    # 5,000 yuan is beyond the summary procedure.
    r = act(client, env, confirmed, "penalize", procedure="summary", served_to="车主", **decision)
    assert r.status_code == 422 and "procedure" in r.get_json()["error"]["fields"]
    # The prior notice: facts, basis, proposed penalty, the right to state and defend; two officers.
    notice = {"basis": "apl_114_1", "amount_yuan": 5000, "facts": "遥感监测两次超标，经核实未按规定加装污染控制装置"}
    r = act(client, env, confirmed, "prior_notice", officers=TWO[:1], **notice)
    assert r.status_code == 422 and "第四十二条" in r.get_json()["error"]["message"]
    r = act(client, env, confirmed, "prior_notice", officers=TWO, **notice)
    assert r.status_code == 200, r.get_json()
    [doc] = r.get_json()["documents"]
    assert doc["kind"] == "prior_notice" and "陈述和申辩" in doc["content"]["rights"]
    assert doc["content"]["legal_basis"].endswith("第一百一十四条第一款") and doc["service"] is None
    assert r.get_json()["state"] == "confirmed"
    # Not yet served: still refused.
    assert act(client, env, confirmed, "penalize", procedure="general", **decision).status_code == 409
    # Served today: the period runs (3 working days), no answer yet: refused.
    r = act(
        client, env, confirmed, "serve", document="prior_notice", method="direct", served_to="车主 张某", officers=TWO
    )
    assert r.status_code == 200, r.get_json()
    served = r.get_json()["documents"][0]
    assert served["service"]["method_name"] == "直接送达" and served["service"]["served_to"] == "车主 张某"
    assert served["answer_due"] > beijing_today().isoformat()
    r = act(client, env, confirmed, "penalize", procedure="general", **decision)
    assert r.status_code == 409 and served["answer_due"] in r.get_json()["error"]["message"]
    # An amount the basis does not allow is refused whatever the notice said.
    other = {**decision, "amount_yuan": 6000}
    assert act(client, env, confirmed, "penalize", procedure="general", **other).status_code == 422
    # The owner's statement recorded (two officers): now the decision, naming review and litigation rights.
    r = act(client, env, confirmed, "record_answer", answer_kind="statement", answer="车辆已送修", officers=TWO)
    assert r.status_code == 200, r.get_json()
    r = act(client, env, confirmed, "penalize", procedure="general", **{**decision, "officers": TWO[:1]})
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]
    r = act(client, env, confirmed, "penalize", procedure="general", **decision)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["state"] == "penalized" and body["penalty"]["department"] == "environment"
    decision_doc = next(d for d in body["documents"] if d["kind"] == "decision")
    assert "六十日内" in decision_doc["content"]["rights"] and "六个月内" in decision_doc["content"]["rights"]
    assert decision_doc["service"] is None
    r = act(client, env, confirmed, "serve", document="decision", method="post", served_to="车主 张某", officers=TWO)
    assert r.status_code == 200
    assert next(d for d in r.get_json()["documents"] if d["kind"] == "decision")["service"]["method"] == "post"
    assert body["timeline"][-1]["fields"]["officers"] == TWO


def test_the_lapse_of_the_period_allows_the_decision(confirmed, client, auth_headers):
    police = auth_headers("police")
    notice = {"basis": "rtsl_90", "amount_yuan": 100, "facts": "驾驶排放检验不合格的机动车上道路行驶"}
    assert act(client, police, confirmed, "prior_notice", officers=TWO, **notice).status_code == 200
    r = act(client, police, confirmed, "serve", document="prior_notice", method="left", served_to="车主", officers=TWO)
    assert r.status_code == 200
    decision = {"decision_number": "晋E公交罚01", "amount_yuan": 100, "officers": TWO, "procedure": "general"}
    assert act(client, police, confirmed, "penalize", **decision).status_code == 409
    # The period lapses without an answer (moved back instead of waiting three working days).
    from vehicle_enforce.cases.models import CaseDocument
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    doc = db.session.query(CaseDocument).filter_by(case_id=confirmed, kind="prior_notice").one()
    doc.answer_due = beijing_today() - timedelta(days=1)
    transaction.commit()
    # Heavier than the notice told (200 > 100): refused, a new notice would be needed.
    r = act(client, police, confirmed, "penalize", **{**decision, "amount_yuan": 200})
    assert r.status_code == 409 and "amount_yuan" in r.get_json()["error"]["fields"]
    r = act(client, police, confirmed, "penalize", **decision)
    assert r.status_code == 200 and r.get_json()["state"] == "penalized"


def test_the_summary_procedure_needs_one_officer_and_hands_the_decision_over(confirmed, client, auth_headers):
    police = auth_headers("police")
    base = {"decision_number": "晋E公交简01", "amount_yuan": 200, "procedure": "summary"}
    r = act(client, police, confirmed, "penalize", **base, officers=TWO[:1])
    assert r.status_code == 422 and "served_to" in r.get_json()["error"]["fields"]
    r = act(client, police, confirmed, "penalize", **base, served_to="驾驶人 赵某")
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]
    bad = [{"name": "李执法", "certificate_no": ""}]
    assert act(client, police, confirmed, "penalize", **base, served_to="赵某", officers=bad).status_code == 422
    r = act(client, police, confirmed, "penalize", **base, served_to="驾驶人 赵某", officers=TWO[:1])
    assert r.status_code == 200, r.get_json()
    [decision] = r.get_json()["documents"]
    assert decision["service"]["method"] == "on_the_spot" and decision["content"]["procedure"] == "summary"


def test_duplicate_certificates_are_not_two_officers(confirmed, client, auth_headers):
    same = [TWO[0], {"name": "另一人", "certificate_no": TWO[0]["certificate_no"]}]
    r = act(
        client,
        auth_headers("police"),
        confirmed,
        "prior_notice",
        basis="rtsl_90",
        amount_yuan=200,
        facts="x",
        officers=same,
    )
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]


def test_no_step_past_the_decision_until_its_service_is_recorded(confirmed, client, auth_headers):
    """送达 gates the next step: a general-procedure decision not yet served refuses the repair order and
    closing (the answer names the decision and says so in Chinese); once served, the case goes on. A
    scrapping recorded meanwhile is stored but leaves the case open until the service is recorded."""
    from vehicle_enforce.cases.models import Notice
    from vehicle_enforce.extensions import db

    police, transport = auth_headers("police"), auth_headers("transport")
    notice = {"basis": "rtsl_90", "amount_yuan": 100, "facts": "驾驶排放检验不合格的机动车上道路行驶"}
    assert act(client, police, confirmed, "prior_notice", officers=TWO, **notice).status_code == 200
    r = act(
        client, police, confirmed, "serve", document="prior_notice", method="direct", served_to="车主", officers=TWO
    )
    assert r.status_code == 200
    assert act(client, police, confirmed, "record_answer", answer_kind="waived", officers=TWO).status_code == 200
    decision = {"decision_number": "晋E公交罚07", "amount_yuan": 100, "officers": TWO, "procedure": "general"}
    assert act(client, police, confirmed, "penalize", **decision).status_code == 200
    due = (beijing_today() + timedelta(days=10)).isoformat()
    r = act(client, transport, confirmed, "order_repair", due_date=due)
    assert r.status_code == 409, r.get_json()
    error = r.get_json()["error"]
    assert "decision" in error["fields"] and "晋E公交罚07" in error["fields"]["decision"]
    assert "尚未送达" in error["message"] and "送达" in error["fields"]["decision"]
    r = act(client, transport, confirmed, "close_scrapped", reason="车辆已报废")
    assert r.status_code == 409 and "decision" in r.get_json()["error"]["fields"]
    # Scrapping recorded by transport: stored, but the case waits for the service of the decision.
    vid = state(client, auth_headers, confirmed)["vehicle_id"]
    r = client.post(
        "/api/v1/phaseout/actions",
        json={
            "kind": "scrapped",
            "action_date": beijing_today().isoformat(),
            "vehicle_id": vid,
            "certificate_no": "BF-2026-007",
        },
        headers=transport,
    )
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    assert state(client, auth_headers, confirmed)["state"] == "penalized"
    told = db.session.query(Notice).filter_by(case_id=confirmed, kind="decision_unserved").all()
    assert [n.recipient for n in told] == ["police"] and "晋E公交罚07" in told[0].message
    # The service recorded: the case goes on.
    r = act(client, police, confirmed, "serve", document="decision", method="direct", served_to="车主", officers=TWO)
    assert r.status_code == 200
    r = act(client, transport, confirmed, "close_scrapped", reason="车辆已报废")
    assert r.status_code == 200 and r.get_json()["state"] == "closed_scrapped"


def test_a_served_decision_lets_the_repair_order_through(confirmed, client, auth_headers):
    police, transport = auth_headers("police"), auth_headers("transport")
    notice = {"basis": "rtsl_90", "amount_yuan": 100, "facts": "驾驶排放检验不合格的机动车上道路行驶"}
    act(client, police, confirmed, "prior_notice", officers=TWO, **notice)
    act(client, police, confirmed, "serve", document="prior_notice", method="direct", served_to="车主", officers=TWO)
    act(client, police, confirmed, "record_answer", answer_kind="waived", officers=TWO)
    decision = {"decision_number": "晋E公交罚08", "amount_yuan": 100, "officers": TWO, "procedure": "general"}
    assert act(client, police, confirmed, "penalize", **decision).status_code == 200
    r = act(client, police, confirmed, "serve", document="decision", method="post", served_to="车主", officers=TWO)
    assert r.status_code == 200
    r = act(client, transport, confirmed, "order_repair", due_date=(beijing_today() + timedelta(days=5)).isoformat())
    assert r.status_code == 200 and r.get_json()["state"] == "repair_ordered"


def test_confirming_a_cases_evidence_needs_two_officers(vehicle, post_pass, client, auth_headers):
    vid = vehicle()
    post_pass("晋E12345", f"{NOV}-01T10:00:00+08:00")
    post_pass("晋E12345", f"{NOV}-02T10:00:00+08:00")
    env = auth_headers("environment")
    [case] = client.get(f"/api/v1/cases?vehicle_id={vid}", headers=env).get_json()["results"]
    url = f"/api/v1/cases/{case['id']}/actions"
    r = client.post(url, json={"action": "confirm"}, headers=env)
    assert r.status_code == 422 and "officers" in r.get_json()["error"]["fields"]
    r = client.post(url, json={"action": "confirm", "officers": OFFICERS[:1]}, headers=env)
    assert r.status_code == 422 and "两名" in r.get_json()["error"]["message"]
    r = client.post(url, json={"action": "confirm", "officers": OFFICERS}, headers=env)
    assert r.status_code == 200 and r.get_json()["timeline"][-1]["fields"]["officers"] == OFFICERS


def test_a_station_post_is_never_refused_for_an_unserved_decision(confirmed, client, auth_headers, post_repair):
    """A case stored before the gate may wait for its repair with the decision unserved: the M站's post is
    stored all the same (201) and the case waits for the service instead of moving."""
    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    police = auth_headers("police")
    notice = {"basis": "rtsl_90", "amount_yuan": 100, "facts": "驾驶排放检验不合格的机动车上道路行驶"}
    act(client, police, confirmed, "prior_notice", officers=TWO, **notice)
    act(client, police, confirmed, "serve", document="prior_notice", method="direct", served_to="车主", officers=TWO)
    act(client, police, confirmed, "record_answer", answer_kind="waived", officers=TWO)
    decision = {"decision_number": "晋E公交罚09", "amount_yuan": 100, "officers": TWO, "procedure": "general"}
    assert act(client, police, confirmed, "penalize", **decision).status_code == 200
    db.session.get(Case, confirmed).state = "repair_ordered"  # as a case moved on before the gate existed
    transaction.commit()
    from datetime import UTC, datetime

    recent = (datetime.now(UTC) - timedelta(hours=2)).isoformat()  # after the evidence, not in the future
    post_repair("晋E12345", recent, number="M-LEGACY")  # asserts 200/201
    assert state(client, auth_headers, confirmed)["state"] == "repair_ordered"
    act(client, police, confirmed, "serve", document="decision", method="direct", served_to="车主", officers=TWO)
    r = act(client, auth_headers("transport"), confirmed, "record_repair", repair_number="M-LEGACY")
    assert r.status_code == 200 and r.get_json()["state"] == "repaired", r.get_json()


def test_an_i_station_post_is_never_refused_for_an_unserved_decision(confirmed, client, auth_headers, post_test):
    from datetime import UTC, datetime

    from vehicle_enforce.cases.models import Case
    from vehicle_enforce.core import transaction
    from vehicle_enforce.extensions import db

    police = auth_headers("police")
    notice = {"basis": "rtsl_90", "amount_yuan": 100, "facts": "驾驶排放检验不合格的机动车上道路行驶"}
    act(client, police, confirmed, "prior_notice", officers=TWO, **notice)
    act(client, police, confirmed, "serve", document="prior_notice", method="direct", served_to="车主", officers=TWO)
    act(client, police, confirmed, "record_answer", answer_kind="waived", officers=TWO)
    decision = {"decision_number": "晋E公交罚10", "amount_yuan": 100, "officers": TWO, "procedure": "general"}
    assert act(client, police, confirmed, "penalize", **decision).status_code == 200
    db.session.get(Case, confirmed).state = "repaired"  # as a case moved on before the gate existed
    transaction.commit()
    post_test("晋E12345", (datetime.now(UTC) - timedelta(hours=1)).isoformat(), passed=True, kind="inspection")
    assert state(client, auth_headers, confirmed)["state"] == "repaired"
