from django.core.management.base import BaseCommand, CommandError

from accounts.names import NameInvalid, person_name_clean
from accounts.services import user_create
from core.errors import DomainError, rendered


class Command(BaseCommand):
    help = "Create a user: adduser --phone --password --role --area [--name] [--expertise a,b]"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--phone", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True,
                            choices=["commissioner", "township_staff", "county_staff", "bureau"])
        parser.add_argument("--area", required=True, help="The area code (city, county, township or village).")
        parser.add_argument("--name", default="")
        parser.add_argument("--expertise", default="", help="Comma-separated category codes (commissioners).")

    def handle(self, *args, **options) -> None:
        expertise = [c.strip() for c in options["expertise"].split(",") if c.strip()]
        try:
            # The same bounds as POST /users; no --name at all means the phone stands in for it.
            name = person_name_clean(options["name"]) if options["name"] else options["phone"]
        except NameInvalid as exc:
            raise CommandError(f"--name: {exc}") from exc
        try:
            user = user_create(actor=None, phone=options["phone"], password=options["password"],
                               name=name, role=options["role"],
                               area_code=options["area"], expertise=expertise)
        except DomainError as exc:
            detail = f" {rendered(exc.fields)}" if exc.fields else ""
            raise CommandError(f"{exc.message}{detail}") from exc
        self.stdout.write(self.style.SUCCESS(f"created user {user.pk} {user.phone} ({user.role}, {user.area_id})"))
