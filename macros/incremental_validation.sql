{#
  The incremental load of a raw source in two steps, the same for orders and web events. The base model
  (staging) types each raw row and checks what the source alone can tell, once, appending the raw rows
  not loaded before (new_raw_rows), stamped with loaded_at. The int_<entity>_validated model
  (intermediate) checks the rows that passed against the CRM and rejects repeats of an id: it validates
  the rows loaded since its last run and those waiting for their customer (rows_to_validate), ranked
  with the loaded rows that share their id (reject_duplicates). The raw files are append-only, every raw
  row is keyed by raw_row_key (see keyed_raw_rows), and both tables equal a full refresh but for loaded_at.
#}

{# The raw rows of `keyed` (the source with its raw_row_key) not loaded before: all of them on a full refresh. #}
{% macro new_raw_rows(keyed) -%}
    select {{ keyed }}.*
    from {{ keyed }}
    {%- if is_incremental() %}
        left join {{ this }} as loaded on {{ keyed }}.raw_row_key = loaded.raw_row_key
    where loaded.raw_row_key is null
    {%- endif %}
{%- endmacro %}

{# The rows an int_*_validated model validates in this run: all of `staged` on a full refresh;
   incrementally, the staged rows loaded after the latest loaded_at in the table (every earlier one is in
   it already, so no key needs matching; a literal, so the scan skips the rest), and the rows quarantined
   as unknown_customer whose customer has since arrived in `customers`. `staged` is read once: read twice,
   it would be materialized whole. #}
{% macro rows_to_validate(staged, customers) -%}
    {%- if not is_incremental() %}
        select {{ staged }}.* from {{ staged }}
    {%- else %}
        {%- set columns = columns_without_rejection_reason() %}
        {%- set loaded_until = run_query(
            'select cast(max(loaded_at) as ' ~ dbt.type_string() ~ ') from ' ~ this
        ).columns[0].values()[0] if execute %}
        {%- set waiting %}
            loaded.rejection_reason = 'unknown_customer'
            and loaded.customer_id in (select {{ customers }}.customer_id from {{ customers }})
        {%- endset %}
    select
        {%- for column in columns %}
            {{ staged }}.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ staged }}
    where
        {%- if loaded_until %}
            {{ staged }}.loaded_at > '{{ loaded_until }}' and
        {%- endif %}
        {{ staged }}.raw_row_key not in (select loaded.raw_row_key from {{ this }} as loaded where {{ waiting }})
    union all
    select
        {%- for column in columns %}
            loaded.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as loaded
    where {{ waiting }}
    {%- endif %}
{%- endmacro %}

{# The rows of `checked` (the table's columns, then row_check: the first check failed, null when none)
   with their rejection_reason: row_check, else `duplicate_reason` when a row that passed ranks after
   another within its `id_column`. Incrementally the loaded rows that share an id are ranked again with the
   new ones, with the check they passed or failed, so that a late row that ranks first turns a loaded one
   into the duplicate exactly as a full refresh would. Ties break on `order_by`, then the key. #}
{% macro reject_duplicates(checked, id_column, order_by, duplicate_reason) -%}
    {%- if is_incremental() %}
        {%- set columns = columns_without_rejection_reason() %}
    {%- endif %}
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
    from (
        {%- if not is_incremental() %}
            select * from {{ checked }}
        {%- else %}
            select
                {%- for column in columns %}
                    {{ checked }}.{{ column }},
                {%- endfor %}
                {{ checked }}.row_check
            from {{ checked }}
            union all
            select
                {%- for column in columns %}
                    loaded.{{ column }},
                {%- endfor %}
                nullif(loaded.rejection_reason, '{{ duplicate_reason }}') as row_check
            from {{ this }} as loaded
            where
                loaded.{{ id_column }} in (select {{ checked }}.{{ id_column }} from {{ checked }})
                and loaded.raw_row_key not in (select {{ checked }}.raw_row_key from {{ checked }})
        {%- endif %}
    ) as batch
{%- endmacro %}

{# The columns of the incremental model being built but rejection_reason: those of the rows it validates,
   which the macros above select by name. #}
{% macro columns_without_rejection_reason() -%}
    {{ return(adapter.get_columns_in_relation(this) | map(attribute='name') | reject('equalto', 'rejection_reason') | list) }}
{%- endmacro %}
