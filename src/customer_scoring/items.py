"""Orders and web events as senders send them (the API's POST bodies, the Redis Streams entries): the raw
source contracts' fields, each optional, so that a missing value is staging's reason to give, not a schema
error; a field the contract does not name, or a value of the wrong type, is one."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RawItem(BaseModel):
    # A numeric id is taken as its text; any field the source contract does not name refuses the request.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class RawOrder(RawItem):
    """An order in the shop source's contract (`models/staging/shop/_shop__sources.yml`)."""

    order_id: str | None = None
    customer_id: str | None = None
    order_ts: str | None = Field(None, examples=["2025-12-31 14:05:00"])
    amount: float | str | None = None
    currency: str | None = None
    status: str | None = Field(None, examples=["completed"])


class RawEvent(RawItem):
    """A web event in the web source's contract (`models/staging/web/_web__sources.yml`)."""

    event_id: str | None = None
    customer_id: str | None = None
    event_ts: str | None = Field(None, examples=["2025-12-31 14:05:00"])
    event_type: str | None = Field(None, examples=["page_view"])
    event_target: str | None = None
    duration_seconds: int | None = None


# Per live source, the model of its items.
ITEM_MODELS = {"orders": RawOrder, "web_events": RawEvent}
