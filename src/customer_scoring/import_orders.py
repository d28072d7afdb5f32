"""Map your own transactions CSV into the raw orders source, so the project runs on real data.

    customer-scoring import transactions.csv --customer-id CustomerID \\
        --date InvoiceDate --amount Revenue --order-id InvoiceNo --date-format '%m/%d/%Y %H:%M'

Writes `orders.parquet` to --out. A shop without a CRM or web export still gets every orders-based
mart: one CRM row per customer is derived from the orders (signup date = first order date) and an
empty `web_events.parquet` is written. --keep-crm / --keep-web keep your own `crm_customers.parquet`
/ `web_events.parquet` in --out instead. The live logs of the files written (`live/*.jsonl`, what the
API accepted) start empty. Raw files (and non-empty live logs) the import would write that are already
in --out are refused unless --replace is given. Rows are copied as they are: a value that does not parse
stays as text, so staging quarantines it with its reason instead of the import dropping it.

Amounts are written as text: the plain number (`1020.50`) when the value parses, else the value as
written. By default `.` is the decimal mark and `,` only groups thousands (`1,020.50`, `12,345`);
with --decimal-comma, `,` is the decimal mark and `.` or a space groups thousands (`1.020,50`).
Anything else (`12,50` by default, `$12.00`, `abc`) is left for staging to quarantine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from customer_scoring.cli import run_module
from customer_scoring.generate import RAW_SCHEMAS
from customer_scoring.ingest import LIVE_SCHEMAS, log_path, start_logs
from customer_scoring.progress import Progress

# The import keeps amounts as text, so a value that does not parse reaches staging as written.
ORDERS_SCHEMA = RAW_SCHEMAS["orders"].set(
    RAW_SCHEMAS["orders"].get_field_index("amount"), pa.field("amount", pa.string())
)

# Transactions mapped per batch: progress is shown between batches.
BATCH_ROWS = 1_000_000

# The raw files a user may bring themselves, and the option that keeps each.
KEEP_FLAGS = {"crm_customers": "--keep-crm", "web_events": "--keep-web"}

# Per decimal mark: the whole-value pattern of a number and its grouping characters. Groups must be
# proper thousands (1 to 3 digits, then groups of 3), so `12,50` is no number with the default mark.
NUMBER_FORMATS = {
    ".": (r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?", "[,]"),
    ",": (r"-?(\d{1,3}(\.\d{3})+|\d{1,3}( \d{3})+|\d+)(,\d+)?", "[. ]"),
}


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _check_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8, naming its first bad byte and that byte's line."""
    line, offset, pending = 1, 0, b""
    with path.open("rb") as file:
        while True:
            block = file.read(1 << 20)
            data = pending + block
            # Decode whole lines (a newline byte is never part of a UTF-8 character), so that no
            # character is split between blocks; the last block decodes whatever is left.
            end = data.rfind(b"\n") + 1 if block else len(data)
            try:
                data[:end].decode("utf-8")
            except UnicodeDecodeError as error:
                bad_line = line + data.count(b"\n", 0, error.start)
                raise ValueError(
                    f"{path} is not UTF-8 text: byte 0x{data[error.start]:02x} on line {bad_line}"
                    f" (byte {offset + error.start + 1} of the file); save it as UTF-8"
                ) from None
            if not block:
                return
            line += data.count(b"\n", 0, end)
            offset += end
            pending = data[end:]


def _source_files(out_dir: Path, name: str) -> list[Path]:
    """A raw source's files in `out_dir`: every `<name>*.parquet`, as the models read them."""
    return sorted(out_dir.glob(f"{name}*.parquet"))


def _raw_files_to_write(out_dir: Path, replace: bool, keep: dict[str, bool]) -> list[str]:
    """The raw sources to write: every one not kept, and only over existing files with replace."""
    for name, flag in KEEP_FLAGS.items():
        if keep[name] and not (out_dir / f"{name}.parquet").exists():
            raise FileNotFoundError(f"{flag}: there is no {out_dir / name}.parquet to keep")
    names = [name for name in RAW_SCHEMAS if not keep.get(name)]
    # A file left from another dataset (a generated CRM, a day's export) would be read with the import and silently
    # reject every imported order; a raw file's live log (rows sent to the API) starts empty with it.
    existing = [path.name for name in names for path in _source_files(out_dir, name)] + [
        f"live/{name}.jsonl"
        for name in names
        if name in LIVE_SCHEMAS and log_path(out_dir, name).exists() and log_path(out_dir, name).stat().st_size
    ]
    if existing and not replace:
        raise FileExistsError(
            f"{out_dir} already holds {', '.join(existing)}: pass --replace to replace the raw files,"
            " or --keep-crm / --keep-web to keep a CRM / web export of your own"
        )
    return names


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Load the CSV as text columns into the table `transactions`, or refuse it in one line; return its rows."""
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty")
    _check_utf8(path)
    try:
        con.execute(
            # Quote explicitly: the sniffer reads a sample, and a quoted "12,50" deep in the file would then split.
            """create table transactions as
            select * from read_csv(?, all_varchar = true, header = true, quote = '"')""",
            [str(path)],
        )
    except duckdb.Error as error:
        # DuckDB's message runs over many lines (the offending line, possible fixes): keep its gist.
        gist = [text for text in str(error).splitlines() if text and not text.startswith("Original Line")]
        raise ValueError(f"cannot read {path} as CSV: {' '.join(gist[:2])}") from None
    ((rows,),) = con.execute("select count(*) from transactions").fetchall()
    if rows == 0:
        raise ValueError(f"{path} has a header but no rows")
    return rows


def import_orders(
    csv_path: Path,
    out_dir: Path,
    customer_id: str,
    date: str,
    amount: str,
    order_id: str | None = None,
    date_format: str | None = None,
    currency: str = "USD",
    decimal_comma: bool = False,
    replace: bool = False,
    keep_crm: bool = False,
    keep_web: bool = False,
) -> dict[str, int]:
    """Write the raw source files from the CSV; return the rows written per file."""
    if not csv_path.is_file():
        raise FileNotFoundError(f"no such CSV file: {csv_path}")
    to_write = _raw_files_to_write(out_dir, replace, {"crm_customers": keep_crm, "web_events": keep_web})
    con = duckdb.connect()
    total = _read_csv(con, csv_path)
    columns = [row[0] for row in con.execute("describe transactions").fetchall()]
    missing = [c for c in (customer_id, date, amount, order_id) if c is not None and c not in columns]
    if missing:
        raise ValueError(f"column(s) {missing} not in {csv_path}; it has {columns}")
    if date_format:
        try:
            con.execute("select try_strptime('', ?)", [date_format]).fetchall()
        except duckdb.Error as error:
            # DuckDB's message ("Invalid Input Error: Failed to parse format specifier ...") without its class.
            raise ValueError(f"--date-format {date_format!r}: {str(error).split(': ', 1)[-1]}") from None

    parsed = (
        f"try_strptime({_quoted(date)}, $date_format)" if date_format else f"try_cast({_quoted(date)} as timestamp)"
    )
    order_key = f"trim({_quoted(order_id)})" if order_id else "'row-' || cast(row_number() over () as varchar)"
    amount_text = rf"regexp_replace({_quoted(amount)}, '^\s+|\s+$', '', 'g')"
    decimal_mark = "," if decimal_comma else "."
    number, grouping = NUMBER_FORMATS[decimal_mark]
    mapped = con.sql(
        f"""
        select
            {order_key} as order_id,
            trim({_quoted(customer_id)}) as customer_id,
            -- ISO text when it parses, else the original text for staging to quarantine
            coalesce(strftime({parsed}, '%Y-%m-%d %H:%M:%S'), {_quoted(date)}) as order_ts,
            -- The plain number when it parses, else the text as written (a blank cell is missing)
            case
                when {amount_text} = '' then null
                when regexp_full_match({amount_text}, $number)
                    then replace(regexp_replace({amount_text}, $grouping, '', 'g'), $decimal_mark, '.')
                else {_quoted(amount)}
            end as amount,
            $currency as currency,
            'completed' as status,
            cast({parsed} as date) as order_date
        from transactions
        """,
        params={
            "currency": currency,
            "number": number,
            "grouping": grouping,
            "decimal_mark": decimal_mark,
            **({"date_format": date_format} if date_format else {}),
        },
    ).to_arrow_reader(BATCH_ROWS)
    batches = []
    with Progress("import", total, "rows") as progress:
        for batch in mapped:
            batches.append(batch)
            progress.advance(batch.num_rows)
    orders = pa.Table.from_batches(batches, mapped.schema)
    if orders["order_date"].null_count == orders.num_rows:
        # One unparseable date is a row to quarantine; all of them is the wrong format.
        how = f"with --date-format {date_format!r}" if date_format else "as ISO 8601 (give --date-format)"
        first = next((value for value in orders["order_ts"].to_pylist() if value), None)
        raise ValueError(f"no {date!r} value parses {how}; the first is {first!r}")
    con.register("orders", orders)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in [path for name in to_write for path in _source_files(out_dir, name)]:
        path.unlink()  # replaced: the files written below are each source's only ones
    written = {"orders": orders.num_rows}
    pq.write_table(orders.drop(["order_date"]).cast(ORDERS_SCHEMA), out_dir / "orders.parquet")

    if "crm_customers" in to_write:
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
    if "web_events" in to_write:
        pq.write_table(RAW_SCHEMAS["web_events"].empty_table(), out_dir / "web_events.parquet")
        written["web_events"] = 0
    start_logs(out_dir, [name for name in to_write if name in LIVE_SCHEMAS], empty=True)
    start_logs(out_dir)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", type=Path, help="the transactions CSV (with a header row)")
    parser.add_argument("--customer-id", required=True, help="column holding the customer id")
    parser.add_argument("--date", required=True, help="column holding the order date or time")
    parser.add_argument("--amount", required=True, help="column holding the order value")
    parser.add_argument("--order-id", help="column holding the order id (default: the row number)")
    parser.add_argument("--date-format", help="strptime format of the date column (default: ISO 8601)")
    parser.add_argument("--currency", default="USD", help="currency code of the amounts")
    parser.add_argument(
        "--decimal-comma",
        action="store_true",
        help="amounts use ',' as the decimal mark and '.' or a space between thousands (1.020,50); "
        "default: '.' as the decimal mark and ',' between thousands (1,020.50)",
    )
    parser.add_argument("--out", type=Path, default=Path("data/raw"), help="raw data directory")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace the raw files already in --out (without it, the import refuses to overwrite them)",
    )
    parser.add_argument(
        "--keep-crm",
        action="store_true",
        help="keep your own crm_customers.parquet in --out instead of deriving one from the orders",
    )
    parser.add_argument(
        "--keep-web",
        action="store_true",
        help="keep your own web_events.parquet in --out instead of writing an empty one",
    )


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    try:
        written = import_orders(
            args.csv,
            args.out,
            customer_id=args.customer_id,
            date=args.date,
            amount=args.amount,
            order_id=args.order_id,
            date_format=args.date_format,
            currency=args.currency,
            decimal_comma=args.decimal_comma,
            replace=args.replace,
            keep_crm=args.keep_crm,
            keep_web=args.keep_web,
        )
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        parser.error(str(error))
    print(f"wrote {written} to {args.out}")


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__]))
