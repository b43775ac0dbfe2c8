"""Documents of customers (customers.md "Customer") and resource category assignments.

A customer's personal values are fake but realistic (names, e-mails, phones, birth dates) and
drawn from the digits of its id, so they are reproducible without a random stream per record.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mews_simulator.times import US_PER_DAY, format_us

Doc = dict[str, Any]
FIRST_NAMES = {
    "Male": ("James", "Jan", "Lukas", "Oliver", "Pierre", "Marco", "Jakub", "Thomas", "Noah",
             "Daniel", "Matteo", "Felix"),
    "Female": ("Anna", "Emma", "Tereza", "Sophie", "Julia", "Chiara", "Eva", "Olivia", "Lea",
               "Marie", "Clara", "Isabel"),
}  # fmt: skip
LAST_NAMES = ("Smith", "Novak", "Muller", "Rossi", "Dubois", "Svoboda", "Brown", "Garcia",
              "Fischer", "Dvorak", "Taylor", "Bianchi", "Martin", "Wilson", "Horak",
              "Weber")  # fmt: skip
# (NationalityCode, LanguageCode, phone prefix, birth place)
NATIONS = (
    ("CZ", "cs-CZ", "+420 6", "Brno"), ("GB", "en-GB", "+44 7", "Manchester"),
    ("DE", "de-DE", "+49 15", "Hamburg"), ("IT", "it-IT", "+39 3", "Bologna"),
    ("FR", "fr-FR", "+33 6", "Lyon"), ("US", "en-US", "+1 212", "Boston, MA"),
)  # fmt: skip
CLASSIFICATIONS = ("Returning", "LoyaltyProgram", "Important", "Student", "Media")
OPTIONS = ("SendMarketingEmails", "Invoiceable", "SendMarketingPostalMail")
FEATURES = ("OceanView", "LowerBed", "Balcony", "SeaView")
DIETS = ("Vegan", "Vegetarian", "Halal", "Gluten free")
DOMAINS = ("example.com", "example.org", "example.net")
BIRTH_EPOCH_DAYS = -11_000  # 1939-11-12; birth dates span about 65 years from here


class Digits:
    """Successive small draws from the 512 bits of a hash of an id."""

    def __init__(self, key: str) -> None:
        self.value = int.from_bytes(hashlib.sha512(key.encode()).digest())

    def below(self, n: int) -> int:
        self.value, drawn = divmod(self.value, n)
        return drawn


def customer(
    account_id: str, chain_id: str, number: int, created: int, updated: int,
    profiles: list[str], companies: list[str],
) -> Doc:  # fmt: skip
    """A documented Customer: every member of customers.md "Customer", in the documented order."""
    d = Digits(account_id)
    sex = ("Male", "Female")[d.below(2)]
    first = FIRST_NAMES[sex][d.below(12)]
    last = LAST_NAMES[d.below(16)]
    second_last = LAST_NAMES[d.below(16)] if d.below(8) == 0 else None
    nationality, language, prefix, place = NATIONS[d.below(len(NATIONS))]
    title = "Mister" if sex == "Male" else ("Miss", "Misses")[d.below(2)]
    birth = BIRTH_EPOCH_DAYS + d.below(65 * 365)
    serial = d.below(10_000)
    loyal = d.below(4) == 0
    email = f"{first}.{last}{serial}@{DOMAINS[d.below(3)]}".lower()
    company = companies[d.below(len(companies))] if companies and d.below(10) == 0 else None
    tax_number = f"{nationality}{d.below(10**9):09d}" if d.below(5) == 0 else None
    classifications = ["LoyaltyProgram"] if loyal else [CLASSIFICATIONS[d.below(5)]][: d.below(2)]
    address_id = account_id[:24] + f"{d.below(16**12):012x}" if d.below(3) else None
    return {
        "Id": account_id, "ChainId": chain_id, "Number": str(number), "Title": title,
        "Sex": sex, "FirstName": first, "LastName": last, "SecondLastName": second_last,
        "NationalityCode": nationality, "PreferredLanguageCode": language if d.below(2) else None,
        "LanguageCode": language, "BirthDate": format_us(birth * US_PER_DAY)[:10],
        "BirthCountryCode": nationality, "BirthCountrySubdivisionCode": None,
        "BirthPlace": place, "Occupation": None, "Email": email, "HasOtaEmail": d.below(20) == 0,
        "Phone": f"{prefix}{d.below(10**8):08d}",
        "TaxIdentificationNumber": tax_number,
        "LoyaltyCode": f"LL{d.below(10**6):06d}" if loyal else None,
        "AccountingCode": None, "BillingCode": None,
        "Notes": "Prefers a quiet room." if d.below(6) == 0 else "",
        "CarRegistrationNumber": f"{d.below(10)}A{d.below(10)} {d.below(10**4):04d}"
        if d.below(8) == 0 else None,
        "DietaryRequirements": DIETS[d.below(len(DIETS))] if d.below(10) == 0 else None,
        "CreatedUtc": format_us(created), "UpdatedUtc": format_us(updated),
        "Passport": None, "IdentityCard": None, "Visa": None, "DriversLicense": None,
        "Address": None, "AddressId": address_id,
        "Classifications": classifications,
        "Options": [OPTIONS[d.below(3)]] if d.below(2) else [],
        "ItalianDestinationCode": None, "ItalianFiscalCode": None, "ItalianLotteryCode": None,
        "CompanyId": company, "MergeTargetId": None, "ActivityState": None, "IsActive": True,
        "PreferredSpaceFeatures": [FEATURES[d.below(4)]] if d.below(3) == 0 else [],
        "CreatorProfileId": profiles[d.below(len(profiles))],
        "UpdaterProfileId": profiles[d.below(len(profiles))],
    }  # fmt: skip


def assignment(
    assignment_id: str, resource_id: str, category_id: str, active: bool, created: int,
    updated: int,
) -> Doc:  # fmt: skip
    """A documented Resource category assignment (resourcecategories.md)."""
    return {
        "Id": assignment_id, "IsActive": active, "ResourceId": resource_id,
        "CategoryId": category_id, "CreatedUtc": format_us(created),
        "UpdatedUtc": format_us(updated),
    }  # fmt: skip
