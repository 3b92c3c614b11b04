"""The registration journey through Django's test client, for tests that need its result."""

import re

from tests import challenges
from tests.mail import last_link

COMPANY_SIRET = "52601815590833"  # Ateliers du Pont Neuf, head office, Toulouse
SECONDARY_SIRET = "52601815500055"  # same company, Lyon
INDIVIDUAL_SIRET = "81234567600017"
PARTIAL_SIRET = "84321987400016"  # partially diffusible ("P")
CLOSED_SIRET = "41298765300018"
FOREIGN_SIRET = "88765432500018"
LA_POSTE_SIRET = "35600000041231"
PARIS_SIRET = "79456123300014"
NOT_PUBLIC_SIRET = "90123456700013"  # the stub answers 403
UNAVAILABLE_SIRET = "91234567500017"  # the stub answers 503
UNKNOWN_SIRET = "11223344000018"  # valid checksum, absent from the stub

DETAILS = {
    "contact_email": "",
    "first_name": "Claire",
    "last_name": "Martin",
    "phone": "",
    "company_name": "Ateliers du Pont Neuf",
    "address_line": "12 bis Quai de la Garonne",
    "address_complement": "",
    "postal_code": "31000",
    "city": "Toulouse",
    "country": "FR",
}


def step1(client, email, siret, *, solved=True, **extra):
    """Step 1 as a browser sends it: with a solved proof-of-work challenge, as JavaScript does,
    or without one (`solved=False`), as a browser without JavaScript does."""
    data = {"email": email, "siret": siret}
    if solved:
        data["altcha"] = challenges.solution("step1")
    return client.post("/register/", data, **extra)


def step2(client, **overrides):
    data = {**DETAILS, **overrides}
    return client.post("/register/details/", {k: v for k, v in data.items() if v is not None})


def step3(client, areas=("issued-invoices",)):
    return client.post("/register/areas/", {"areas": list(areas)})


def register(client, email, siret=COMPANY_SIRET, areas=("issued-invoices",), **details):
    """Steps 1 to 3; returns the step 3 response."""
    response = step1(client, email, siret)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = step2(client, **details)
    assert response.status_code == 302, response.content.decode()[:3000]
    return step3(client, areas)


LINK = re.compile(r"http://[^\s\"<]+/activate/([A-Za-z0-9_\-]+)/")


def activation_link(email: str) -> str:
    """The link of the newest activation mail to this address (pending mails are sent first:
    the link is minted when its mail leaves)."""
    return last_link(email, "/activate/")


def activation_path(email: str) -> str:
    return "/activate/" + LINK.search(activation_link(email)).group(1) + "/"
