"""The rebate simulator on the cart and at checkout: what this order adds to each active program the
partner takes part in — the current period's accrual before and after, computed with the same ladder function
(``portal.rebates.ladder.payout``) and the same revenue rules as the calculation job (the program's currency,
its product categories). An estimate: the order counts once it is delivered."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.catalogue.models import Product
from portal.extensions import db
from portal.rebates import ladder
from portal.rebates.statements import Accrual, accruals


@dataclass(frozen=True)
class Simulation:
    accrual: Accrual
    adds_cents: int
    after: ladder.Payout

    @property
    def extra_cents(self) -> int:
        return self.after.rebate_cents - self.accrual.payout.rebate_cents

    @property
    def moves_up(self) -> bool:
        return self.after.rung > self.accrual.payout.rung


def simulate(actor, lines: Iterable[tuple[int | None, str, int]], today: date) -> list[Simulation]:
    """``lines``: (product id, currency, line total cents) of the order being put together."""
    lines = [line for line in lines if line[2] > 0]
    if not lines:
        return []
    current = accruals(actor, today)
    if not current:
        return []
    categories: dict[int, int | None] = {}
    if any(a.category_ids for a in current):
        ids = [pid for pid, _c, _t in lines if pid is not None]
        categories = dict(db.session.execute(select(Product.id, Product.category_id).where(Product.id.in_(ids))).all())
    found = []
    for accrual in current:
        program = accrual.program
        adds = sum(total for pid, currency, total in lines if currency == program.currency and (
            not accrual.category_ids or categories.get(pid) in accrual.category_ids))
        if adds <= 0:
            continue
        after = ladder.payout_cents(program.mode, accrual.rungs, accrual.revenue_cents + adds)
        found.append(Simulation(accrual, adds, after))
    return found
