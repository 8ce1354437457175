"""The API's error shape, as every test of an error response checks it."""


def error_of(resp, status, code=None):
    """The error object of RESP, after checking its status and that it has the documented shape."""
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    err = body["error"]
    assert {"code", "message", "hint", "fields"} <= set(err)
    assert err["message"] and isinstance(err["fields"], dict)
    if code:
        assert err["code"] == code
    return err
