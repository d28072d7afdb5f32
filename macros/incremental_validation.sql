{#
  The incremental load of a raw source in two steps, the same for orders and web events. The base model
  (staging) types each raw row and checks what the source alone can tell, once, appending the raw rows
  not loaded before (new_raw_rows) of the raw files it has not loaded whole (raw_files_to_load), stamped
  with loaded_at. The int_<entity>_validated model (intermediate) checks the rows that passed against the
  CRM and rejects repeats of an id: it validates the rows loaded since its last run and those waiting for
  their customer (rows_to_validate), ranked with the loaded rows that share their id (reject_duplicates).
  The raw files are append-only, every raw row is keyed by raw_row_key (see keyed_raw_rows), and both
  tables equal a full refresh but for loaded_at.
#}

{# The raw files (raw_with_live_rows' raw_file: a file, the live log or the source table) an incremental base model
   reads `raw_rows` (a raw_with_live_rows query) from: those holding another number of rows than it loaded from
   them. The raw files are append-only, so one holding as many rows as were loaded from it holds no new one: a
   daily run that adds a file reads that file alone. none on a full refresh: every file. #}
{% macro raw_files_to_load(raw_rows) -%}
    {%- if not (execute and is_incremental()) %}
        {{- return(none) }}
    {%- endif %}
    {%- set changed %}
        select counted.raw_file
        from (
            select raw_rows.raw_file, count(*) as row_count
            from ({{ raw_rows }}) as raw_rows
            group by raw_rows.raw_file
        ) as counted
        left join (
            select loaded.raw_file, count(*) as row_count
            from {{ this }} as loaded
            group by loaded.raw_file
        ) as held on counted.raw_file = held.raw_file
        where held.row_count is null or held.row_count != counted.row_count
    {%- endset %}
    {{- return(run_query(changed).columns[0].values() | list) }}
{%- endmacro %}

{# The rows of `raw_rows` (a raw_with_live_rows query) in `files` (a raw_files_to_load list; none: every file). #}
{% macro rows_of_raw_files(raw_rows, files) -%}
    {%- if files is none %}
        {{- raw_rows }}
    {%- else %}
    select raw_rows.*
    from ({{ raw_rows }}) as raw_rows
    where {{ raw_file_in(files, 'raw_rows') }}
    {%- endif %}
{%- endmacro %}

{# Whether `relation`'s raw_file is one of `files` (a list of names). #}
{% macro raw_file_in(files, relation) -%}
    {%- if files %}
        {{- relation }}.raw_file in (
        {%- for file in files %}
            '{{ file | replace("'", "''") }}'{{ ',' if not loop.last }}
        {%- endfor %})
    {%- else %}
        {{- 'false' }}
    {%- endif %}
{%- endmacro %}

{# The raw rows of `keyed` (the rows of `files` with their raw_row_key) not loaded before: all on a full refresh.
   A key holds the row's file, so only the rows loaded from those files need matching. #}
{% macro new_raw_rows(keyed, files) -%}
    select {{ keyed }}.*
    from {{ keyed }}
    {%- if is_incremental() %}
        left join (
            select loaded.raw_row_key
            from {{ this }} as loaded
            where {{ raw_file_in(files, 'loaded') }}
        ) as loaded on {{ keyed }}.raw_row_key = loaded.raw_row_key
    where loaded.raw_row_key is null
    {%- endif %}
{%- endmacro %}

{# The rows an int_*_validated model validates in this run: all of `staged` (a relation) on a full refresh;
   incrementally, the staged rows loaded after the latest loaded_at in the table (every earlier one is in
   it already, so no key needs matching; a literal, so the scan skips the rest), and the rows quarantined
   as unknown_customer whose customer has since arrived in `customers` (a relation). #}
{% macro rows_to_validate(staged, customers) -%}
    {%- if not is_incremental() %}
        select staged.* from {{ staged }} as staged
    {%- else %}
        {%- set columns = validated_row_columns() %}
        {%- set loaded_until = run_query(
            'select cast(max(loaded_at) as ' ~ dbt.type_string() ~ ') from ' ~ this
        ).columns[0].values()[0] if execute %}
        {%- set waiting %}
            loaded.rejection_reason = 'unknown_customer'
            and loaded.customer_id in (select crm.customer_id from {{ customers }} as crm)
        {%- endset %}
    select
        {%- for column in columns %}
            staged.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ staged }} as staged
    where
        {%- if loaded_until %}
            staged.loaded_at > '{{ loaded_until }}' and
        {%- endif %}
        staged.raw_row_key not in (select loaded.raw_row_key from {{ this }} as loaded where {{ waiting }})
    union all
    select
        {%- for column in columns %}
            loaded.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as loaded
    where {{ waiting }}
    {%- endif %}
{%- endmacro %}

{# The rows of `checked` (a query: the table's columns, then row_check, the first check failed, null when none)
   with their rejection_reason: row_check, else `duplicate_reason` when a row that passed ranks after
   another within its `id_column`. Incrementally the loaded rows that share an id are ranked again with the
   new ones, with the check they passed or failed, so that a late row that ranks first turns a loaded one
   into the duplicate exactly as a full refresh would. Ties break on `order_by`, then the key. Only the ids
   that repeat are ranked: a window over every row would hold all of them, every column (55 M events at 1M
   customers). The queries are inlined rather than read from CTEs, which DuckDB would materialize whole. #}
{% macro reject_duplicates(checked, id_column, order_by, duplicate_reason) -%}
    {%- set batch -%}
        {%- if not is_incremental() %}
            {{ checked }}
        {%- else %}
            {%- set columns = validated_row_columns() %}
            select
                {%- for column in columns %}
                    checked.{{ column }},
                {%- endfor %}
                checked.row_check
            from ({{ checked }}) as checked
            union all
            select
                {%- for column in columns %}
                    loaded.{{ column }},
                {%- endfor %}
                nullif(loaded.rejection_reason, '{{ duplicate_reason }}') as row_check
            from {{ this }} as loaded
            where
                loaded.{{ id_column }} in (select checked.{{ id_column }} from ({{ checked }}) as checked)
                and loaded.raw_row_key not in (select checked.raw_row_key from ({{ checked }}) as checked)
        {%- endif %}
    {%- endset %}
    {%- set repeated_ids -%}
        select batch.{{ id_column }} from ({{ batch }}) as batch group by batch.{{ id_column }} having count(*) > 1
    {%- endset %}
    select
        batch.*,
        batch.row_check as rejection_reason
    from ({{ batch }}) as batch
    where batch.{{ id_column }} not in ({{ repeated_ids }})
    union all
    select
        batch.*,
        coalesce(
            batch.row_check,
            case
                when row_number() over (
                    partition by batch.{{ id_column }}
                    order by batch.row_check asc nulls first, {{ order_by }}, batch.raw_row_key asc
                ) > 1 then '{{ duplicate_reason }}'
            end
        ) as rejection_reason
    from ({{ batch }}) as batch
    where batch.{{ id_column }} in ({{ repeated_ids }})
{%- endmacro %}

{# The columns of the incremental model being built but the two each run sets, rejection_reason and
   validated_at: those of the rows it validates, which the macros above select by name. #}
{% macro validated_row_columns() -%}
    {{ return(adapter.get_columns_in_relation(this) | map(attribute='name') | reject('in', ['rejection_reason', 'validated_at']) | list) }}
{%- endmacro %}

{# The customers of the rows of `validated` (an int_*_validated model) written since the latest validated_at of
   the incremental model being built: a validation run stamps every row it inserts or ranks again, so these are
   the customers whose valid rows may have changed since that model last ran (every customer on its first run). #}
{% macro customers_validated_since_last_run(validated) -%}
    {%- set since = run_query(
        'select cast(max(validated_at) as ' ~ dbt.type_string() ~ ') from ' ~ this
    ).columns[0].values()[0] if execute and is_incremental() %}
    select validated.customer_id
    from {{ validated }} as validated
    where
        validated.customer_id is not null
        {%- if since %}
            and validated.validated_at > '{{ since }}'
        {%- endif %}
{%- endmacro %}

{# int_customer_daily_activity's customers to recompute: those of the rows of int_orders_validated or
   int_web_events_validated written since its last run (its latest validated_at), and those with valid orders or
   session days dated between its latest day and the as-of date (which moved, either way, since). #}
{% macro customers_with_new_activity() -%}
    {%- set latest = run_query(
        'select cast(max(activity_date) as ' ~ dbt.type_string() ~ ') from ' ~ this
    ).columns[0].values()[0] if execute and is_incremental() %}
    {%- set latest_day = "cast('" ~ (latest or '0001-01-01') ~ "' as date)" %}
    {%- set earlier = 'least(' ~ latest_day ~ ', as_of.as_of_date)' %}
    {%- set later = 'greatest(' ~ latest_day ~ ', as_of.as_of_date)' %}
    {{ customers_validated_since_last_run(ref('int_orders_validated')) }}
    union
    {{ customers_validated_since_last_run(ref('int_web_events_validated')) }}
    union
    select orders.customer_id
    from {{ ref('int_orders_validated') }} as orders
    cross join {{ ref('int_as_of_date') }} as as_of
    where
        orders.rejection_reason is null
        and orders.order_date > {{ earlier }}
        and orders.order_date <= {{ later }}
    union
    {{ customers_with_session_days_between(earlier, later) }}
{%- endmacro %}

{# fct_web_sessions' customers to recompute: those of the rows of int_web_events_validated written since its last
   run, and those with session days dated between its latest dates and the as-of date (which moved, either way,
   since). A session holds its days up to the as-of date; the latest included day lies between the latest
   session_date and the latest ended_at's date, so that span bounds the days whose inclusion can change. #}
{% macro customers_with_new_sessions() -%}
    {%- set latest = run_query(
        'select cast(max(session_date) as ' ~ dbt.type_string() ~ '), cast(max(cast(ended_at as date)) as '
        ~ dbt.type_string() ~ ') from ' ~ this
    ).rows[0] if execute and is_incremental() else [none, none] %}
    {%- set earlier = "least(cast('" ~ (latest[0] or '0001-01-01') ~ "' as date), as_of.as_of_date)" %}
    {%- set later = "greatest(cast('" ~ (latest[1] or '0001-01-01') ~ "' as date), as_of.as_of_date)" %}
    {{ customers_validated_since_last_run(ref('int_web_events_validated')) }}
    union
    {{ customers_with_session_days_between(earlier, later) }}
{%- endmacro %}

{# The customers with session days dated after `earlier` and up to `later` (date expressions that may read the
   as-of date, as_of.as_of_date): those whose sessions up to the as-of date change when it moves. #}
{% macro customers_with_session_days_between(earlier, later) -%}
    select session_days.customer_id
    from {{ ref('int_web_events_rolled_up_to_session_days') }} as session_days
    cross join {{ ref('int_as_of_date') }} as as_of
    where session_days.activity_date > {{ earlier }} and session_days.activity_date <= {{ later }}
{%- endmacro %}
