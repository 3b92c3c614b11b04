"""Factories with traits for the states the tests need."""

import factory
from django.utils import timezone

from accounts import secret
from accounts.models import User
from structures.models import Membership, Structure
from workareas.models import AreaAssignment, WorkArea

PASSWORD = "Factur3s-Publiques!"
ANSWER = "Médor le chien"


def _siret(n: int) -> str:
    from stdnum import luhn

    siren = f"{60000000 + n:08d}"
    siren += luhn.calc_check_digit(siren)
    base = siren + "0001"
    return base + luhn.calc_check_digit(base)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    contact_email = factory.LazyAttribute(lambda o: o.email)
    first_name = "Claire"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    is_active = False
    password = factory.django.Password(None)

    class Params:
        active = factory.Trait(
            is_active=True,
            activated_at=factory.LazyFunction(timezone.now),
            password=factory.django.Password(PASSWORD),
            secret_question="pet",
            secret_answer_hash=factory.LazyFunction(lambda: secret.hash_answer(ANSWER)),
        )


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    siret = factory.Sequence(_siret)
    siren = factory.LazyAttribute(lambda o: o.siret[:9] if o.siret else None)
    name = factory.Sequence(lambda n: f"Ateliers Numéro {n}")
    address_line = "12 bis Quai de la Garonne"
    postal_code = "31000"
    city = "Toulouse"
    country = "FR"
    verification = Structure.Verification.VERIFIED

    class Params:
        non_diffusible_trait = factory.Trait(non_diffusible=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, active=True)
    structure = factory.SubFactory(StructureFactory)
    role = Membership.Role.USER
    status = Membership.Status.ACTIVE

    class Params:
        primary_manager = factory.Trait(role=Membership.Role.PRIMARY_MANAGER)
        requested = factory.Trait(
            status=Membership.Status.REQUESTED,
            requested_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def areas(self, create, extracted, **kwargs):
        if not create:
            return
        codes = extracted if extracted is not None else ["issued-invoices", "sent-requests"]
        AreaAssignment.objects.bulk_create(
            [
                AreaAssignment(membership=self, area=a)
                for a in WorkArea.objects.filter(code__in=codes)
            ]
        )
