"""/api/v1/rebates — the ladder preview (also what the ladder editor shows): what a revenue earns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from portal.blueprints.api.base import operation
from portal.core.errors import Invalid
from portal.rebates import ladder

Amount = StrictStr | StrictInt  # never a JSON float near money


class RungIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: Amount = Field(description="Revenue (major units) from which the rate applies; the first is 0.")
    rate: Amount = Field(description="Percent, 0–100, at most 3 decimals, e.g. \"8\" or \"2.5\".")


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["retroactive", "incremental"]
    rungs: list[RungIn] = Field(max_length=ladder.MAX_RUNGS)
    revenue: Amount = Field(description="Eligible revenue in major units, e.g. \"300000.00\".")


class PreviewOut(BaseModel):
    rebate: str = Field(description="The rebate in major units, rounded half-up to the cent once.")
    rate: str = Field(description="The reached rung's rate in percent.")
    rung: int = Field(description="0-based index of the reached rung.")
    next_threshold: str | None = Field(description="The next rung's threshold; null on the top rung.")
    revenue_to_next: str | None = Field(description="Revenue still needed for the next rung; null on the top rung.")


@operation("/rebates/preview", "POST", summary="What a revenue earns on a rebate ladder", body=PreviewIn,
           response=PreviewOut, tags=("rebates",))
def rebate_preview(user, body: PreviewIn) -> PreviewOut:
    rungs, errors = ladder.parse_rungs([(r.threshold, r.rate) for r in body.rungs])
    revenue = ladder.parse_amount(body.revenue, "revenue", errors)
    if errors:
        raise Invalid(errors)
    result = ladder.payout(body.mode, rungs, revenue)
    return PreviewOut(rebate=ladder.decimal_text(result.rebate, 2), rate=ladder.decimal_text(result.rate),
                      rung=result.rung, next_threshold=ladder.decimal_text(result.next_threshold, 2),
                      revenue_to_next=ladder.decimal_text(result.revenue_to_next, 2))
