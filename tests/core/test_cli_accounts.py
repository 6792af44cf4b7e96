"""The command line: tokens, users, stations, townships, demo data."""

from __future__ import annotations

from sqlalchemy import func, select


def test_tokens_create_prints_the_token_last(runner, client):
    result = runner.invoke(args=["tokens", "create", "--department", "police", "--name", "checkpoint-gateway"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert me == {**me, "department": "police", "name": "checkpoint-gateway"}
    listing = runner.invoke(args=["tokens", "list"]).output
    assert "checkpoint-gateway" in listing and secret not in listing


def test_station_token_is_scoped_to_its_station(runner, client):
    result = runner.invoke(
        args=[
            "stations",
            "create",
            "--code",
            "JC-RS-01",
            "--kind",
            "remote_sensing",
            "--name",
            "巴公遥感",
            "--township",
            "巴公镇",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=["tokens", "create", "--department", "station", "--station", "JC-RS-01", "--name", "rs1"]
    )
    assert result.exit_code == 0, result.output
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {result.output.splitlines()[-1]}"}).get_json()
    assert me["department"] == "station" and me["station_id"] is not None
    bad = runner.invoke(args=["tokens", "create", "--department", "station", "--station", "NOPE", "--name", "x"])
    assert bad.exit_code != 0 and "unknown station" in bad.output


def test_users_create_and_login(runner, client):
    result = runner.invoke(
        args=["users", "create", "--username", "li", "--password", "s3cret-pass", "--department", "transport"]
    )
    assert result.exit_code == 0, result.output
    r = client.post("/login", data={"username": "li", "password": "s3cret-pass"})
    assert r.status_code == 302
    assert client.get("/api/v1/me").get_json()["department"] == "transport"


def test_login_locks_after_repeated_failures(runner, client):
    runner.invoke(args=["users", "create", "--username", "wang", "--password", "right-pass", "--department", "police"])
    for _ in range(5):
        assert client.post("/login", data={"username": "wang", "password": "wrong"}).status_code == 401
    r = client.post("/login", data={"username": "wang", "password": "right-pass"})
    assert r.status_code == 401
    assert "锁定" in r.get_data(as_text=True)


def test_township_user_needs_a_township(runner):
    result = runner.invoke(
        args=["users", "create", "--username", "t", "--password", "township-pass-9", "--department", "township"]
    )
    assert result.exit_code != 0 and "township" in result.output


def test_demo_load_is_coherent_and_idempotent(runner, client, app):
    from vehicle_enforce.extensions import db
    from vehicle_enforce.vehicles.models import Vehicle

    result = runner.invoke(args=["demo", "load", "--vehicles", "1500"])
    assert result.exit_code == 0, result.output
    assert "jiaojing" in result.output
    count = db.session.scalar(select(func.count()).select_from(Vehicle))
    assert 1500 <= count <= 1550  # the generated fleet plus each domain's showcase vehicles
    colours = set(db.session.scalars(select(Vehicle.plate_color).distinct()))
    assert colours == {"blue", "yellow", "green", "yellow_green", "white", "black"}
    standards = set(db.session.scalars(select(Vehicle.emission_standard).distinct()))
    assert {1, 2, 3, 4, 5, 6, None} <= standards
    for username in ("huanbao", "jiaojing", "jiaotong", "admin"):
        c = app.test_client()
        assert c.post("/login", data={"username": username, "password": "demo-pass-2019"}).status_code == 302
    again = runner.invoke(args=["demo", "load"])
    assert "already loaded" in again.output
    assert db.session.scalar(select(func.count()).select_from(Vehicle)) == count


def test_counties_and_moving_accounts_between_them(runner, app):
    from vehicle_enforce.auth.models import ApiToken, User
    from vehicle_enforce.extensions import db

    assert runner.invoke(args=["counties", "add", "--code", "140581", "--name", "高平市"]).exit_code == 0
    assert "140581\t高平市" in runner.invoke(args=["counties", "list"]).output
    added = runner.invoke(args=["townships", "add", "--code", "mishan", "--name", "米山镇", "--county", "高平市"])
    assert added.exit_code == 0, added.output
    ambiguous = runner.invoke(args=["townships", "add", "--code", "x", "--name", "某镇"])
    assert ambiguous.exit_code != 0 and "county" in ambiguous.output  # two counties now: name one
    create = ["users", "create", "--username", "gp", "--password", "county-pass-2019", "--department", "police"]
    assert runner.invoke(args=[*create, "--county", "140581"]).exit_code == 0
    user = db.session.scalar(select(User).where(User.username == "gp"))
    assert user.county_id is not None
    assert runner.invoke(args=["users", "set-county", "gp"]).exit_code == 0  # to the city level
    db.session.expire_all()
    assert db.session.get(User, user.id).county_id is None
    township = ["users", "create", "--username", "ms", "--password", "county-pass-2019", "--department", "township"]
    assert runner.invoke(args=[*township, "--township", "米山镇"]).exit_code == 0
    moved = runner.invoke(args=["users", "set-county", "ms", "--county", "140525"])
    assert moved.exit_code != 0 and "county" in moved.output  # a township account stays in its county
    token = runner.invoke(args=["tokens", "create", "--department", "police", "--name", "gw", "--county", "140525"])
    token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.name == "gw"))
    assert token.exit_code == 0 and runner.invoke(args=["tokens", "set-county", str(token_id)]).exit_code == 0
    assert "\tcity\tgw" in runner.invoke(args=["tokens", "list"]).output
