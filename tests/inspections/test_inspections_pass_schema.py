"""The posted pass is declared once: the API's schema derives from the library's PassRecord."""

from __future__ import annotations

from remote_sensing.readers.canonical import KNOWN_FIELDS


def test_the_documented_pass_has_every_field_the_reader_accepts(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    name = next(key for key in schemas if key.split(".")[-1] == "CanonicalPass")
    declared = set(schemas[name]["properties"])
    # plate_pending is derived by PassRecord (init=False): the reader tolerates it, a client never sends it.
    assert declared == (KNOWN_FIELDS - {"plate_pending"}) | {"device"}
    assert set(schemas[name]["required"]) == {"station", "record_id", "measured_at"}
    ringelmann = next(s for s in schemas[name]["properties"]["ringelmann"]["anyOf"] if s.get("type") == "integer")
    assert (ringelmann["minimum"], ringelmann["maximum"]) == (0, 5)
