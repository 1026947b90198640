import pytest


@pytest.mark.django_db
def test_login_page_is_served(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content
