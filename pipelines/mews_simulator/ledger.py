"""Order items, bills and payments derived from one service order (reservation or product order).

Everything is a pure function of the order's current doc, so the ledger can be built on first
request and re-derived when an order changes. The rule:

* a reservation has one SpaceOrder item per night (ConsumedUtc = that night's scheduled start),
  booked to the enterprise's Accommodation category; a product service order has one
  ProductOrder item of one of its service's products;
* item AccountingState follows the order State: Processed -> Closed, Canceled -> Canceled,
  Optional/Inquired/Requested -> Inactive, otherwise Open;
* a Processed order has a Closed bill (IssuedUtc = ActualEndUtc, else UpdatedUtc) holding all
  its items, and one Charged cash payment on that bill; a Started order has an Open bill that
  holds its (open) items; other orders have no bill;
* every derived record has the order's AccountId, EnterpriseId and UpdatedUtc, and an id
  hashed from the order id, so re-deriving gives the same ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from mews_simulator.finance_docs import amount
from mews_simulator.times import US_PER_DAY, format_us, parse_utc

Doc = dict[str, Any]
INACTIVE = frozenset(("Optional", "Inquired", "Requested"))


@dataclass(frozen=True)
class Refs:
    """What items point at, per enterprise / service."""

    accommodation: dict[str, str]  # enterprise -> accounting category id
    payments: dict[str, str]  # enterprise -> accounting category id
    products: dict[str, list[Doc]]  # additional service -> its products


def derived_id(order_id: str, tag: str) -> str:
    """A version-4-shaped uuid hashed from the order id and a tag."""
    h = hashlib.md5(f"{order_id}:{tag}".encode(), usedforsecurity=False).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def _accounting_state(state: str) -> str:
    if state == "Processed":
        return "Closed"
    if state == "Canceled":
        return "Canceled"
    return "Inactive" if state in INACTIVE else "Open"


def _price(order_id: str, low: int, span: int) -> int:
    return low + int(order_id[:8], 16) % span


def derive(
    doc: Doc, enterprise_id: str, is_reservation: bool, refs: Refs
) -> tuple[list[Doc], Doc | None, Doc | None]:
    """(order items, bill or None, payment or None) of one service order."""
    order_id, state = doc["Id"], doc["State"]
    closed_at = (doc.get("ActualEndUtc") or doc["UpdatedUtc"]) if state == "Processed" else None
    bill = _bill(doc, enterprise_id, closed_at) if state in ("Processed", "Started") else None
    base = {
        "EnterpriseId": enterprise_id, "AccountId": doc["AccountId"],
        "AccountType": doc.get("AccountType", "Customer"), "ServiceId": doc["ServiceId"],
        "ServiceOrderId": order_id, "Notes": None, "BillId": bill["Id"] if bill else None,
    }  # fmt: skip
    tail = {
        "CreatorProfileId": doc["CreatorProfileId"], "UpdaterProfileId": doc["UpdaterProfileId"],
        "CreatedUtc": doc["CreatedUtc"], "UpdatedUtc": doc["UpdatedUtc"],
    }  # fmt: skip
    closing = {
        "CanceledUtc": doc.get("CancelledUtc") if state == "Canceled" else None,
        "ClosedUtc": closed_at,
    }
    common = {"AccountingState": _accounting_state(state),
              "Options": {"CanceledWithReservation": state == "Canceled"}}  # fmt: skip
    items: list[Doc] = []
    if is_reservation:
        start = parse_utc(doc["ScheduledStartUtc"]) or 0
        end = parse_utc(doc["ScheduledEndUtc"]) or 0
        nights = max(1, end // US_PER_DAY - start // US_PER_DAY)
        price = amount(_price(order_id, 60, 140))
        for night in range(nights):
            consumed = format_us(start + night * US_PER_DAY)
            items.append({
                "Id": derived_id(order_id, f"night{night}"), **base,
                "AccountingCategoryId": refs.accommodation[enterprise_id],
                "BillingName": None, "ExternalIdentifier": None, "UnitCount": 1,
                "UnitAmount": price, "Amount": price, "OriginalAmount": price,
                "RevenueType": "Service", **tail, "ConsumedUtc": consumed, **closing,
                "StartUtc": consumed, "ClaimedUtc": None, **common, "Type": "SpaceOrder",
                "Data": None, "TaxExemptionReason": None, "TaxExemptionLegalReference": None,
            })  # fmt: skip
    else:
        choices = refs.products[doc["ServiceId"]]
        product = choices[int(order_id[:8], 16) % len(choices)]
        count = 1 + int(order_id[9:11], 16) % 3
        unit = product["Price"]
        total = amount(unit["GrossValue"] * count)
        data = {"Discriminator": "Product", "Rebate": None,
                "Product": {"ProductId": product["Id"], "AgeCategoryId": None,
                            "ProductType": "Product"}}  # fmt: skip
        items.append({
            "Id": derived_id(order_id, "product"), **base,
            "AccountingCategoryId": product["AccountingCategoryId"], "BillingName": None,
            "ExternalIdentifier": None, "UnitCount": count, "UnitAmount": unit,
            "Amount": total, "OriginalAmount": total, "RevenueType": "Product", **tail,
            "ConsumedUtc": doc["CreatedUtc"], **closing, "StartUtc": doc["CreatedUtc"],
            "ClaimedUtc": None, **common, "Type": "ProductOrder", "Data": data,
            "TaxExemptionReason": None, "TaxExemptionLegalReference": None,
        })  # fmt: skip
    payment = None
    if bill is not None and closed_at is not None:
        gross = sum(item["Amount"]["GrossValue"] for item in items)
        payment = _payment(doc, enterprise_id, bill["Id"], closed_at, gross, is_reservation, refs)
    return items, bill, payment


def _bill(doc: Doc, enterprise_id: str, closed_at: str | None) -> Doc:
    closed = closed_at is not None
    return {
        "Id": derived_id(doc["Id"], "bill"), "Name": None, "EnterpriseId": enterprise_id,
        "AccountId": doc["AccountId"], "AccountType": doc.get("AccountType", "Customer"),
        "AssociatedAccountIds": [], "CounterId": None, "State": "Closed" if closed else "Open",
        "Type": "Receipt", "Number": f"B{doc['Number']}" if closed else None,
        "VariableSymbol": None, "CreatedUtc": doc.get("ActualStartUtc") or doc["CreatedUtc"],
        "IssuedUtc": closed_at, "TaxedUtc": closed_at, "PaidUtc": closed_at, "DueUtc": None,
        "LastReminderDateUtc": None, "UpdatedUtc": doc["UpdatedUtc"],
        "PurchaseOrderNumber": None, "Notes": None,
        "Options": {"DisplayCustomer": True, "DisplayTaxation": True, "TrackReceivable": False,
                    "DisplayCid": False, "Rebated": False},
        "OwnerData": None, "AssociatedAccountData": None, "EnterpriseData": None,
        "CorrectionState": "Bill", "CorrectionType": None, "CorrectedBillId": None,
    }  # fmt: skip


def _payment(
    doc: Doc, enterprise_id: str, bill_id: str, closed_at: str, gross: float,
    is_reservation: bool, refs: Refs,
) -> Doc:  # fmt: skip
    paid = amount(-gross)
    return {
        "Id": derived_id(doc["Id"], "payment"), "EnterpriseId": enterprise_id,
        "AccountId": doc["AccountId"], "AccountType": doc.get("AccountType", "Customer"),
        "PaymentRequestId": None, "BillId": bill_id,
        "ReservationId": doc["Id"] if is_reservation else None,
        "AccountingCategoryId": refs.payments[enterprise_id], "Amount": paid,
        "OriginalAmount": paid, "Notes": None, "SettlementId": None, "ConsumedUtc": closed_at,
        "ClosedUtc": closed_at, "ChargedUtc": closed_at, "CreatedUtc": closed_at,
        "UpdatedUtc": doc["UpdatedUtc"], "SettlementUtc": closed_at,
        "AccountingState": "Closed", "State": "Charged", "Identifier": None,
        "Type": "CashPayment", "Kind": None, "Data": None, "PaymentOrigin": "Operations",
    }  # fmt: skip
