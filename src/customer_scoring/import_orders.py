"""Map your own transactions CSV into the raw orders source, so the project runs on real data.

    python -m customer_scoring.import_orders transactions.csv --customer-id CustomerID \\
        --date InvoiceDate --amount Revenue --order-id InvoiceNo --date-format '%m/%d/%Y %H:%M'

Writes `orders.parquet` to --out. A shop without a CRM or web export still gets every orders-based
mart: where `crm_customers.parquet` is missing, one row per customer is derived from the orders
(signup date = first order date), and where `web_events.parquet` is missing, an empty one is written.
Rows are copied as they are: a value that does not parse stays as text, so staging quarantines it
with its reason instead of the import dropping it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from customer_scoring.generate import RAW_SCHEMAS


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def import_orders(
    csv_path: Path,
    out_dir: Path,
    customer_id: str,
    date: str,
    amount: str,
    order_id: str | None = None,
    date_format: str | None = None,
    currency: str = "USD",
) -> dict[str, int]:
    """Write the raw source files from the CSV; return the rows written per file."""
    if not csv_path.exists():
        raise FileNotFoundError(f"no such CSV file: {csv_path}")
    con = duckdb.connect()
    con.register("transactions", con.read_csv(str(csv_path), all_varchar=True, header=True))
    columns = [row[0] for row in con.execute("describe transactions").fetchall()]
    missing = [c for c in (customer_id, date, amount, order_id) if c is not None and c not in columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in {csv_path}; it has {columns}")

    parsed = (
        f"try_strptime({_quoted(date)}, $date_format)" if date_format else f"try_cast({_quoted(date)} as timestamp)"
    )
    order_key = f"trim({_quoted(order_id)})" if order_id else "'row-' || cast(row_number() over () as varchar)"
    orders = con.sql(
        f"""
        select
            {order_key} as order_id,
            trim({_quoted(customer_id)}) as customer_id,
            -- ISO text when it parses, else the original text for staging to quarantine
            coalesce(strftime({parsed}, '%Y-%m-%d %H:%M:%S'), {_quoted(date)}) as order_ts,
            try_cast(replace(trim({_quoted(amount)}), ',', '') as double) as amount,
            $currency as currency,
            'completed' as status,
            cast({parsed} as date) as order_date
        from transactions
        """,
        params={"currency": currency, **({"date_format": date_format} if date_format else {})},
    ).to_arrow_table()
    con.register("orders", orders)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"orders": orders.num_rows}
    pq.write_table(orders.drop(["order_date"]).cast(RAW_SCHEMAS["orders"]), out_dir / "orders.parquet")

    if not (out_dir / "crm_customers.parquet").exists():
        customers = con.sql(
            """
            select
                customer_id,
                cast(null as varchar) as email,
                cast(null as varchar) as first_name,
                cast(null as varchar) as country,
                'unknown' as acquisition_channel,
                cast(null as varchar) as plan,
                cast(min(order_date) as varchar) as signup_date,
                cast(null as varchar) as updated_at
            from orders
            where customer_id is not null and customer_id != ''
            group by customer_id
            """
        ).to_arrow_table()
        pq.write_table(customers.cast(RAW_SCHEMAS["crm_customers"]), out_dir / "crm_customers.parquet")
        written["crm_customers"] = customers.num_rows
    if not (out_dir / "web_events.parquet").exists():
        pq.write_table(RAW_SCHEMAS["web_events"].empty_table(), out_dir / "web_events.parquet")
        written["web_events"] = 0
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv", type=Path, help="the transactions CSV (with a header row)")
    parser.add_argument("--customer-id", required=True, help="column holding the customer id")
    parser.add_argument("--date", required=True, help="column holding the order date or time")
    parser.add_argument("--amount", required=True, help="column holding the order value")
    parser.add_argument("--order-id", help="column holding the order id (default: the row number)")
    parser.add_argument("--date-format", help="strptime format of the date column (default: ISO 8601)")
    parser.add_argument("--currency", default="USD", help="currency code of the amounts")
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="raw data directory")
    args = parser.parse_args(argv)
    try:
        written = import_orders(
            args.csv, args.out, args.customer_id, args.date, args.amount, args.order_id, args.date_format, args.currency
        )
    except (FileNotFoundError, ValueError) as error:
        parser.error(str(error))
    print(f"wrote {written} to {args.out}")


if __name__ == "__main__":
    main()
