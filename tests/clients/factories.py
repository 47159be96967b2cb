import datetime as dt

import factory

from clients.models import CertificationKind, Client, PMCertification, Role, User

PASSWORD = "correct-horse-battery-9"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Client {n} Pharma")
    slug = factory.Sequence(lambda n: f"client-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.PROJECT_MANAGER
    client = None
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ClientUserFactory(UserFactory):
    role = Role.CLIENT_VIEWER
    client = factory.SubFactory(ClientFactory)


class PMCertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PMCertification

    user = factory.SubFactory(UserFactory)
    kind = CertificationKind.PMP
    issued = dt.date(2024, 1, 1)
    expires = None
