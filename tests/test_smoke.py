from tests.conftest import login
from tests.factories import trainee


def test_login_page_is_served(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b"Log in" in response.data


def test_a_trainee_logs_in_and_sees_home(client):
    user = trainee(name="Theo Trainee")
    response = login(client, user.email)
    assert response.status_code == 302
    page = client.get("/")
    assert "Welcome, Theo Trainee" in page.get_data(as_text=True)
