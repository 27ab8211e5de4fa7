def test_health_needs_no_token(api):
    reply = api.get("/v1/health", token=False)
    assert reply.status == 200 and reply.json == {"status": "ok"}


def test_lookup_round_trip(api):
    created = api.post("/v1/lookups/customer-types", {"name": "Residential"})
    assert created.status == 201, created.json
    assert created.header("ETag") == '"1"'
    listed = api.get("/v1/lookups/customer-types")
    assert [i["name"] for i in listed.json["items"]] == ["Residential"]
